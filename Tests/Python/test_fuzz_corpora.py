"""The fuzz targets' seed corpora and every input that once crashed a target
(Fuzz/regressions/), replayed through the plain build of redstart-fuzz: each must run
to its end (no trap, no crash). Fuzz/run.sh does the fuzzing itself."""
import os
import subprocess

import pytest

from conftest import ROOT

FUZZ = os.path.join(ROOT, "Fuzz")
BINARY = os.path.join(ROOT, ".build", "debug", "redstart-fuzz")


@pytest.mark.parametrize("target", ["parser", "commands", "restore", "rdb", "aof"])
def test_corpus_and_regressions_replay(target):
    paths = [os.path.join(FUZZ, kind, target) for kind in ("corpus", "regressions")]
    paths = [path for path in paths if os.path.isdir(path)]
    result = subprocess.run([BINARY, target, *paths], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    replayed = int(result.stdout.split(":")[1].split()[0])
    assert replayed >= len(os.listdir(os.path.join(FUZZ, "corpus", target)))
