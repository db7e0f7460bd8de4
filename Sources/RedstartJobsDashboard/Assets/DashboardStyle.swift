// The dashboard's style sheet.
extension DashboardAssets {
    static let style = """
        :root { --bg: #f6f7f9; --panel: #fff; --ink: #1d2330; --muted: #6b7385; --line: #e2e5ea;
          --accent: #c2410c; --ok: #15803d; --bad: #b91c1c; --warn: #b45309; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 14px/1.4 system-ui, sans-serif; background: var(--bg); color: var(--ink); }
        header { display: flex; gap: 1.2em; align-items: baseline; padding: .8em 1.5em; background: #1d2330; color: #fff; }
        header h1 { font-size: 1.2em; margin: 0; }
        header a { color: #fff; text-decoration: none; }
        header .muted { color: #aab2c2; }
        .live { margin-left: auto; font-size: .9em; padding: .1em .6em; border-radius: 1em; background: var(--ok); }
        .live.off { background: var(--warn); }
        main { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 1em; padding: 1em 1.5em; }
        .panel { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: .8em 1em; min-width: 0; }
        .panel.wide { grid-column: 1 / -1; }
        .panel h2 { font-size: 1em; margin: 0 0 .6em; }
        .panel h3 { font-size: .95em; margin: 1em 0 .3em; }
        dl { display: grid; grid-template-columns: max-content 1fr; gap: .2em 1em; margin: 0; }
        dt { color: var(--muted); }
        dd { margin: 0; font-variant-numeric: tabular-nums; }
        table { width: 100%; border-collapse: collapse; }
        th, td { text-align: left; padding: .3em .5em; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { color: var(--muted); font-weight: 600; font-size: .9em; }
        td.number { font-variant-numeric: tabular-nums; }
        td a { color: var(--accent); }
        tr[data-job] { cursor: pointer; }
        tr[data-job]:hover { background: #fdf4ee; }
        pre { background: #f3f4f6; padding: .5em; border-radius: 4px; overflow: auto; max-height: 16em; margin: 0; }
        svg { width: 100%; height: 150px; display: block; }
        svg .grid { stroke: var(--line); }
        svg text { fill: var(--muted); font-size: 10px; }
        .legend { display: flex; flex-wrap: wrap; gap: .3em 1em; font-size: .85em; color: var(--muted); }
        .legend i { display: inline-block; width: .8em; height: .8em; border-radius: 2px; margin-right: .3em; }
        .state { font-size: .8em; padding: .1em .5em; border-radius: 1em; background: var(--line); }
        .state.completed { background: #dcfce7; } .state.failed { background: #fee2e2; }
        .state.active { background: #dbeafe; } .state.cancelled { background: #fef3c7; }
        .state.paused { background: #fef3c7; } .state.running { background: #dcfce7; }
        .tabs { display: flex; gap: .3em; margin-bottom: .5em; }
        .tabs a { padding: .2em .7em; border-radius: 1em; text-decoration: none; color: var(--ink); background: var(--line); }
        .tabs a.current { background: var(--accent); color: #fff; }
        button { font: inherit; padding: .2em .8em; border: 1px solid var(--line); border-radius: 4px; background: #fff; cursor: pointer; }
        button:hover { border-color: var(--accent); }
        button.danger { color: var(--bad); }
        .actions { display: flex; gap: .5em; margin-bottom: .6em; }
        .empty { color: var(--muted); margin: .5em 0 0; }
        .error { color: var(--bad); }
        #toast { position: fixed; bottom: 1em; right: 1em; background: #1d2330; color: #fff; padding: .6em 1em; border-radius: 4px; }
        #toast.failed { background: var(--bad); }

        """
}
