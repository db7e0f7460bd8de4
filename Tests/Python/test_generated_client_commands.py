"""The client's generated command files are what Scripts/generate-client-commands.py writes
from the committed COMMAND DOCS catalog (byte for byte), --check notices a stale or missing
file, and the generator reads back every escape the catalog script can write."""
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "Scripts", "generate-client-commands.py")
GENERATED = os.path.join(ROOT, "Sources", "RedstartClient", "Generated")


def load_generator():
    spec = importlib.util.spec_from_file_location("generate_client_commands", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(*args):
    return subprocess.run([sys.executable, SCRIPT, *args], cwd=ROOT, capture_output=True, text=True)


def test_committed_files_are_what_the_generator_writes():
    result = run("--check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_notices_an_edited_a_missing_and_an_extra_file():
    with tempfile.TemporaryDirectory() as directory:
        output = os.path.join(directory, "Generated")
        shutil.copytree(GENERATED, output)
        assert run("--check", "--output", output).returncode == 0
        path = os.path.join(output, "Commands+String.swift")
        with open(path, "a", encoding="utf-8") as file:
            file.write("// edited by hand\n")
        edited = run("--check", "--output", output)
        assert edited.returncode == 1
        assert "edited by hand" in edited.stdout
        os.remove(path)
        assert run("--check", "--output", output).returncode == 1
        assert run("--output", output).returncode == 0  # regenerates
        with open(os.path.join(output, "Commands+Stale.swift"), "w", encoding="utf-8") as file:
            file.write("// a group that no longer exists\n")
        assert run("--check", "--output", output).returncode == 1
        assert run("--output", output).returncode == 0
        assert sorted(os.listdir(output)) == sorted(os.listdir(GENERATED))


def test_swift_literals_read_back_as_the_catalog_script_wrote_them():
    generator = load_generator()
    for data in [b"%1\r\n$3\r\nkey\r\n", b'say "hi" \\ back\\slash', b"tab\there", "caf\u00e9 \u2028".encode(),
                 bytes([1, 0x7F, 0x1F]), b"\\r is not CR"]:
        literal = generator.catalog_script.swift_literal(data)
        assert generator.swift_string_value(literal[1:-1]) == data


def test_names_follow_the_documented_scheme():
    generator = load_generator()
    assert generator.method_name("config|get") == "configGet"
    assert generator.method_name("georadius_ro") == "georadiusRo"
    assert generator.method_name("cluster|count-failure-reports") == "clusterCountFailureReports"
    assert generator.lower_camel("withscores") == "withScores"
    assert generator.lower_camel("client-id") == "clientID"
    assert generator.plural("member") == "members"
    assert generator.plural("clientID") == "clientIDs"
    assert generator.plural("prefix") == "prefixes"
