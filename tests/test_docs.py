"""README.md and docs/ stay runnable and reachable: every command they show is exercised by a test, every
top-level docs page is linked from the README, every relative link resolves, the layout tables follow the
tree, and README.md stays a front door (at most 300 lines).

What counts as a command: each line of a fenced code block whose info string is empty or one of sh, bash,
shell, console (```text, ```python, ```yaml and the like are not shell). A line starting with "#" is a
comment and a trailing " # ..." is dropped; a line starting with "[" continues the line before it (a
synopsis laid over several lines). Every other line must start with a program of PROGRAMS (or with
NAME=value assignments before one), so that a diagram or an output left in a shell fence fails here and
gets a ```text fence instead.

A command holding "[" is a synopsis: its program's --help, run here, must know every flag it shows (and for
main.py, the README's command line must show every flag main.py has). Every other command must be a key of
EXERCISED, which names the tests that run it; each such test must exist and its source (the test function,
its decorators and the module-level helpers and constants it uses, and the module's imports) must hold the
command's distinctive arguments listed beside it, so a mapping goes stale loudly. Where the documented
command is too long to run in the suite (a benchmark of ten minutes, observer runs of 120 s a scenario),
the test named runs the same entry point with shorter arguments, and the comment above the entry says so.
NOT_RUN lists the few commands no test can run, with the reason.
"""
from __future__ import annotations

import ast
import json
import re
import shlex
import shutil
import signal
import stat
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import pytest

from tests.helpers import MAIN, ROOT, clean_env, wait_until

README = ROOT / "README.md"
DOCS = ROOT / "docs"
SHELL_FENCES = {"", "sh", "bash", "shell", "console"}
PROGRAMS = {"python3", "pip", "pm2", "npm", "node", "curl", "sudo", "cp", "chmod", "apt-get", "git"}
FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*([\w+-]*)")
ASSIGNMENT = re.compile(r"^[A-Z_][A-Z0-9_]*=")


def T(test: str, *needles: str) -> tuple[str, tuple[str, ...]]:
    """A test that runs a command, and the arguments of the command its source must hold."""
    return test, needles


SIM_RUN = "tests/test_report_browser.py::test_a_real_run_gives_a_report_whose_every_plot_loads_in_a_browser"
CHECK_RUN = "tests/test_preflight.py::test_main_check_prints_the_table_and_exits_0_on_the_simulator"
PM2_RUN = "tests/test_docs.py::test_pm2_runs_the_avax_app_as_ecosystem_config_js_defines_it"
OBSERVER_RUN = "tests/test_docs.py::test_the_short_observer_command_runs_as_shown"
NETTING_RUN = "tests/test_docs.py::test_the_netting_commands_make_and_rescan_every_row_with_a_stand_in_bot"

EXERCISED: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    # .ci/run runs these two lines on a fresh clone; the test holds README.md and .ci/run to the same text.
    "python3 -m venv .venv && . .venv/bin/activate && pip install -r requirements-dev.txt": [
        T("tests/test_readme.py::test_readme_shows_setup_test_and_sim_commands_that_ci_runs",
          "pip install -r requirements-dev.txt")],
    "python3 -m pytest": [
        T("tests/test_readme.py::test_readme_shows_setup_test_and_sim_commands_that_ci_runs", "python3 -m pytest")],
    # 14 s instead of an hour (the full hour: tests/test_longrun.py).
    "python3 -m tools.soak AVAX --seconds 3600 --interval 5 --dir /tmp/soak-avax --out docs/soak": [
        T("tests/test_soak.py::test_a_short_soak_of_the_real_bot_writes_samples_and_sees_the_log_rotate",
          "tools.soak", "AVAX", "--seconds", "--interval", "--dir", "--out")],
    "python3 -m pytest -m longrun": [
        T("tests/test_docs.py::test_the_longrun_marker_selects_the_long_runs_and_the_default_run_leaves_them_out",
          "-m", "longrun")],
    "python3 main.py AVAX --sim": [
        T("tests/test_cli.py::test_ctrl_c_in_a_terminal_ends_a_sim_run_cleanly", "AVAX", "--sim")],
    # 12 s instead of 60.
    "python3 main.py AVAX --sim --duration 60 --summary-json s.json": [
        T(SIM_RUN, "AVAX", "--sim", "--duration", "--summary-json")],
    # Live, the check needs keys and the venues: the test runs it with --sim (the same table against the
    # simulator), and tests/test_preflight.py reproduces each row's FAIL against simnet.
    "python3 main.py AVAX --check": [T(CHECK_RUN, "AVAX", "--check")],
    "cp .env.secret.example .env.secret && chmod 600 .env.secret": [
        T("tests/test_docs.py::test_the_secrets_file_command_makes_a_private_file_the_bot_reads",
          ".env.secret.example", "chmod 600")],
    # Live mode as a user runs it, keys from the environment, against a simnet the test starts.
    "python3 main.py AVAX": [
        T("tests/test_live_process.py::test_kill_mid_hedge_then_restart_reconciles_and_no_secret_is_ever_printed",
          "AVAX")],
    "python3 main.py AVAX --clear-kill": [
        T("tests/test_cli.py::test_clear_kill_clears_this_traders_tripped_kill_switch", "AVAX", "--clear-kill")],
    # No pm2 in the suite: the test reads the apps from ecosystem.config.js with node and runs the avax app's
    # command line as pm2 would, stops it with its kill_signal inside its kill_timeout and checks its log files.
    "pm2 start ecosystem.config.js --only avax": [T(PM2_RUN, "ecosystem.config.js", "avax")],
    "MM_EXTRA_ARGS=\"--sim\" pm2 start ecosystem.config.js --only avax": [
        T(PM2_RUN, "MM_EXTRA_ARGS", "--sim", "ecosystem.config.js", "avax")],
    "pm2 logs avax": [T(PM2_RUN, "logs", "avax")],
    "pm2 stop avax": [T(PM2_RUN, "avax")],
    "python3 -m tools.config_reference": [
        T("tests/test_docs.py::test_the_config_reference_command_prints_the_pages_table", "tools.config_reference")],
    # 10 s each instead of until Ctrl-C.
    "python3 main.py AVAX --sim --set maker=hyperliquid --set hedge=binance": [
        T("tests/test_docs.py::test_the_maker_venue_sim_commands_run_as_shown", "AVAX", "--sim",
          "maker=hyperliquid", "hedge=binance")],
    "python3 main.py ETH --sim --set maker=binance --set hedge=hyperliquid": [
        T("tests/test_docs.py::test_the_maker_venue_sim_commands_run_as_shown", "ETH", "--sim",
          "maker=binance", "hedge=hyperliquid")],
    # measure() is what the command prints, with 3 rounds instead of 50.
    "python3 -m tools.bench.requote": [
        T("tests/test_bench_requote.py::test_the_requote_bench_measures_modify_against_place_and_cancel",
          "tools.bench.requote")],
    "python3 -m tools.simnet.bench_hubble --orders 600 --batch 20 --fills 300": [
        T("tests/test_docs.py::test_the_simnet_bench_runs_as_shown", "tools.simnet.bench_hubble", "--orders",
          "--fills")],
    # About ten minutes (full) and four (--quick): the test runs the same entry point with --smoke, every run
    # and field with tiny windows.
    "python3 -m tools.bench": [T("tests/test_bench.py::test_bench_smoke_writes_every_figure", "tools.bench")],
    "python3 -m tools.bench --quick": [T("tests/test_bench.py::test_bench_smoke_writes_every_figure", "tools.bench")],
    "python3 -m tools.observer --maker hyperliquid --hedge binance --market AVAX --scenarios quiet --seconds 10 "
    "--out observer_results/quiet": [
        T(OBSERVER_RUN, "tools.observer", "--maker", "hyperliquid", "--hedge", "binance", "--scenarios", "quiet")],
    # 120 s per scenario: the command line is run by the short observer test above, the measurement itself
    # (the real bot on each pair, judged at the venues) by the observer's tests, 16 to 18 s each.
    "python3 -m tools.observer --maker hyperliquid --hedge binance --market AVAX --scenarios default,informed,jump "
    "--seconds 120": [
        T(OBSERVER_RUN, "tools.observer", "--maker", "hyperliquid", "--hedge", "binance", "--market", "--scenarios"),
        T("tests/test_observer_maker_pair.py::"
          "test_an_observed_run_quoting_on_hyperliquid_and_hedging_on_binance_is_judged_at_those_venues",
          "tools.observer", "hyperliquid", "binance")],
    "python3 -m tools.observer --maker binance --hedge hyperliquid --market ETH --scenarios default,informed,jump "
    "--seconds 120": [
        T(OBSERVER_RUN, "tools.observer", "--maker", "--hedge", "--market", "--scenarios")],
    "python3 -m tools.observer --maker hubble --hedge hyperliquid --market AVAX --scenarios default,informed,jump "
    "--seconds 120": [
        T(OBSERVER_RUN, "tools.observer", "--maker", "--hedge", "--market", "--scenarios"),
        T("tests/test_observer_run.py::test_a_short_observed_run_reports_every_figure_from_the_venues",
          "tools.observer")],
    "python3 -m tools.report --market AVAX --summary s.json": [T(SIM_RUN, "tools.report", "--market", "--summary")],
    # Nine and four bot runs of about a minute each (tools/bench's load run): the test runs the command's main()
    # with these arguments and run_bot replaced by a stand-in, so every row's settings are built and the table
    # written and rescanned; the load run itself is run by tests/test_bench.py in its smoke form.
    "python3 -m tools.simnet.hubble.netting": [T(NETTING_RUN, "tools.simnet.hubble")],
    "python3 -m tools.simnet.hubble.netting --only node_hyperliquid former_1.5s_hyperliquid node_binance "
    "former_1.5s_binance": [T(NETTING_RUN, "tools.simnet.hubble", "--only", "node_hyperliquid",
                              "former_1.5s_hyperliquid", "node_binance", "former_1.5s_binance")],
    "python3 -m tools.simnet.hubble.netting --rescan": [T(NETTING_RUN, "tools.simnet.hubble", "--rescan")],
}

NOT_RUN = {
    "npm install -g pm2": "installs pm2 for the whole machine from the npm registry; what pm2 then runs is "
                          "exercised by test_pm2_runs_the_avax_app_as_ecosystem_config_js_defines_it",
}

# The program of each synopsis, and how to ask it for its help.
HELP = {
    "python3 main.py": [sys.executable, str(MAIN), "--help"],
    "python3 -m tools.simnet": [sys.executable, "-m", "tools.simnet", "--help"],
    "python3 -m tools.observer": [sys.executable, "-m", "tools.observer", "--help"],
    "python3 -m tools.report": [sys.executable, "-m", "tools.report", "--help"],
}


@lru_cache(maxsize=None)
def tracked() -> tuple[str, ...]:
    """The repository's files, relative to ROOT: what git tracks (committed or added) when this is a git
    checkout, so a page or module still being written in the same checkout is not held to these rules
    until it is added; every file when there is no git."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "bot", "tools", "tests", "docs"], cwd=ROOT,
                                capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        listed = None
    if listed is not None and listed.returncode == 0 and listed.stdout:
        return tuple(p for p in listed.stdout.split("\0") if p and (ROOT / p).exists())
    return tuple(name(p) for top in ("bot", "tools", "tests", "docs") for p in (ROOT / top).rglob("*")
                 if p.is_file() and "__pycache__" not in p.parts)


def pages() -> list[Path]:
    """README.md and every page under docs/ (of the committed tree: see tracked)."""
    return [README, *sorted(ROOT / p for p in tracked() if p.startswith("docs/") and p.endswith(".md"))]


def top_level_pages() -> list[Path]:
    return [p for p in pages() if p.parent == DOCS]


def name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def fenced_blocks(text: str) -> list[tuple[str, list[str]]]:
    """(info string, lines) of every fenced code block."""
    blocks, current, info, marker = [], None, "", ""
    for line in text.splitlines():
        m = FENCE.match(line)
        if current is None:
            if m:
                current, info, marker = [], m.group(2), m.group(1)
        elif m and m.group(1).startswith(marker) and not m.group(2):
            blocks.append((info, current))
            current = None
        else:
            current.append(line)
    return blocks


def commands_of(text: str) -> list[str]:
    found = []
    for info, lines in fenced_blocks(text):
        if info not in SHELL_FENCES:
            continue
        block: list[str] = []
        for raw in lines:
            line = re.sub(r"\s+#\s.*$", "", raw.strip())
            if not line or line.startswith("#"):
                continue
            if line.startswith("[") and block:
                block[-1] += " " + line
            else:
                block.append(line)
        found += [" ".join(c.split()) for c in block]
    return found


@lru_cache(maxsize=None)
def all_commands() -> dict[str, list[str]]:
    """command -> the pages that show it."""
    shown: dict[str, list[str]] = {}
    for path in pages():
        for command in commands_of(path.read_text()):
            shown.setdefault(command, []).append(name(path))
    return shown


def program(command: str) -> str:
    words = command.split()
    while words and ASSIGNMENT.match(words[0]):
        words.pop(0)
    return words[0] if words else ""


def is_synopsis(command: str) -> bool:
    return "[" in command


def synopsis_program(command: str) -> str:
    words = []
    for word in command.split():
        if word.startswith("[") or word.isupper():
            break
        words.append(word)
    return " ".join(words)


def run_shown(command: str, cwd: Path, *extra: str, timeout: float = 120, **popen) -> subprocess.Popen:
    """Start a command exactly as a page shows it (python3 is this interpreter, main.py the checkout's), in
    `cwd`, with the repository importable; `extra` arguments are appended."""
    assert command in all_commands(), f"no page shows {command!r} any more"
    argv = [sys.executable if w == "python3" else str(MAIN) if w == "main.py" else w for w in shlex.split(command)]
    env = clean_env(PYTHONPATH=str(ROOT))
    return subprocess.Popen([*argv, *extra], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, **popen)


def finish(proc: subprocess.Popen, timeout: float) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"{proc.args} did not finish within {timeout}s: {err[-2000:]}")
    return proc.returncode, out, err


# --- the mapping ---------------------------------------------------------------------------------------------

def test_every_shell_line_is_a_command_and_every_command_is_exercised():
    shown = all_commands()
    assert shown, "no command found in README.md or docs/"
    for command, where in shown.items():
        assert program(command) in PROGRAMS, \
            f"{where}: {command!r} is not a command (give that code block a ```text fence, or add its program)"
        if is_synopsis(command):
            assert synopsis_program(command) in HELP, f"{where}: no --help known for the synopsis {command!r}"
            continue
        assert command in EXERCISED or command in NOT_RUN, \
            f"{where}: {command!r} is run by no test: run it in tests/test_docs.py or map it in EXERCISED"


def test_the_mapping_names_only_commands_the_pages_still_show():
    shown = all_commands()
    for command in [*EXERCISED, *NOT_RUN]:
        assert command in shown, f"{command!r} is mapped but no page shows it: remove or update the entry"
    assert len(NOT_RUN) <= 2, "NOT_RUN is for the exceptions: find a test for the command instead"


@lru_cache(maxsize=None)
def source_of(ref: str) -> str:
    """A test function's source with its decorators, the module-level helpers and constants it uses (and
    theirs), and the module's imports."""
    path, _, func_name = ref.partition("::")
    file = ROOT / path
    assert file.exists(), f"{ref}: no file {path}"
    text = file.read_text()
    tree = ast.parse(text)
    top: dict[str, ast.AST] = {}
    imports = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            top[node.name] = node
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target]):
                for n in ast.walk(target):
                    if isinstance(n, ast.Name):
                        top[n.id] = node
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            imports.append(ast.get_source_segment(text, node))
    func = top.get(func_name)
    assert isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)), f"{path} has no test function {func_name}"
    parts, seen, todo = [], {func_name}, [func]
    while todo:
        node = todo.pop()
        parts.append(ast.get_source_segment(text, node) or "")
        for decorator in getattr(node, "decorator_list", []):
            parts.append(ast.get_source_segment(text, decorator) or "")
        for n in ast.walk(node):
            if isinstance(n, ast.Name) and n.id in top and n.id not in seen:
                seen.add(n.id)
                todo.append(top[n.id])
    return "\n".join(parts + imports)


@pytest.mark.parametrize("command", sorted(EXERCISED))
def test_each_mapped_test_exists_and_runs_the_commands_arguments(command):
    tests = EXERCISED[command]
    assert tests, command
    for ref, needles in tests:
        assert needles, f"{command!r} -> {ref}: name the arguments the test runs"
        source = source_of(ref)
        for needle in needles:
            assert needle in command, f"{ref}: {needle!r} is not part of {command!r}"
            assert needle in source, f"{ref} does not run {command!r}: its source has no {needle!r}"


def test_every_synopsis_shows_only_flags_its_program_has():
    synopses = [c for c in all_commands() if is_synopsis(c)]
    assert {synopsis_program(c) for c in synopses} == set(HELP), synopses
    running = {prog: subprocess.Popen(argv, cwd=ROOT, env=clean_env(), stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True) for prog, argv in HELP.items()}
    helps = {}
    for prog, proc in running.items():
        status, out, err = finish(proc, 120)
        assert status == 0, err[-2000:]
        helps[prog] = out.split("\n\n")[0]             # argparse's usage block names every option
    for command in synopses:
        prog = synopsis_program(command)
        flags = set(re.findall(r"--[a-z][\w-]*", command))
        known = set(re.findall(r"--[a-z][\w-]*", helps[prog]))
        assert flags <= known, f"{command!r} shows flags {prog} does not have: {sorted(flags - known)}"
        if prog == "python3 main.py":          # the README's command line is main.py's reference
            assert known - {"--help"} <= flags, f"README's command line lacks {sorted(known - {'--help'} - flags)}"


# --- commands run here ---------------------------------------------------------------------------------------

def test_the_config_reference_command_prints_the_pages_table(tmp_path):
    from tools.config_reference import END, START

    status, out, err = finish(run_shown("python3 -m tools.config_reference", tmp_path), 60)
    assert status == 0, err[-2000:]
    text = (DOCS / "configuration.md").read_text()
    assert out.strip() == text[text.index(START) + len(START):text.index(END)].strip()


def test_the_secrets_file_command_makes_a_private_file_the_bot_reads(tmp_path):
    from dotenv import dotenv_values

    from bot import credentials

    command = "cp .env.secret.example .env.secret && chmod 600 .env.secret"
    assert command in all_commands()
    shutil.copy(ROOT / ".env.secret.example", tmp_path / ".env.secret.example")
    subprocess.run(["bash", "-c", command], cwd=tmp_path, check=True, timeout=30)
    secret = tmp_path / ".env.secret"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert credentials.permission_warning(secret) is None
    values = dotenv_values(secret)
    for variable in ("AVAX_PRIVATE_KEY", "HYPERLIQUID_TRADER", "HYPERLIQUID_PRIVATE_KEY", "BINANCE_API_KEY",
                     "BINANCE_SECRET_KEY", "ALERT_WEBHOOK_URL"):
        assert values[variable] == "", variable           # every variable the README names, still to fill in
    from eth_account import Account

    key, hl_key = "0x" + "3c" * 32, "0x" + "4d" * 32
    filled = secret.read_text().replace('AVAX_PRIVATE_KEY=""', f'AVAX_PRIVATE_KEY="{key}"')
    filled = filled.replace('HYPERLIQUID_PRIVATE_KEY=""', f'HYPERLIQUID_PRIVATE_KEY="{hl_key}"')
    filled = filled.replace('HYPERLIQUID_TRADER=""', f'HYPERLIQUID_TRADER="{Account.from_key(hl_key).address}"')
    secret.write_text(filled)
    creds = credentials.load("AVAX", "hyperliquid", env={k: v for k, v in dotenv_values(secret).items() if v})
    assert creds.hubble_private_key is not None and creds.hyperliquid_trader == Account.from_key(hl_key).address
    assert key[2:] not in repr(creds)


@pytest.mark.slow
def test_pm2_runs_the_avax_app_as_ecosystem_config_js_defines_it(tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: it reads ecosystem.config.js as pm2 does")
    for command in ("pm2 start ecosystem.config.js --only avax", 'MM_EXTRA_ARGS="--sim" pm2 start '
                    "ecosystem.config.js --only avax", "pm2 logs avax", "pm2 stop avax"):
        assert command in all_commands(), command
    read = "process.stdout.write(JSON.stringify(require(process.argv[1]).apps))"
    apps = json.loads(subprocess.run([node, "-e", read, str(ROOT / "ecosystem.config.js")], cwd=ROOT,
                                     env=clean_env(MM_EXTRA_ARGS="--sim"), capture_output=True, text=True,
                                     check=True, timeout=30).stdout)
    assert [a["name"] for a in apps] == ["avax", "eth", "sol"]
    avax = apps[0]
    assert avax["args"] == ["AVAX", "--sim"] and avax["script"] == str(MAIN)
    assert avax["interpreter"] == str(ROOT / ".venv" / "bin" / "python3")
    assert sorted(avax["stop_exit_codes"]) == [2, 78] and avax["kill_signal"] == "SIGTERM"
    assert avax["kill_timeout"] == 30000 and avax["autorestart"] is True
    assert avax["out_file"] == str(ROOT / "logs" / "pm2-avax.out.log")      # where pm2 logs avax reads
    assert avax["error_file"] == str(ROOT / "logs" / "pm2-avax.err.log")

    # pm2 start: the app's command line (in a scratch directory here, not the checkout pm2 would use)
    python = avax["interpreter"] if Path(avax["interpreter"]).exists() else sys.executable
    log = tmp_path / "pm2-avax.out.log"
    with log.open("w") as out:
        proc = subprocess.Popen([python, avax["interpreter_args"], avax["script"], *avax["args"]], cwd=tmp_path,
                                env=clean_env(**avax["env"]), stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_until(lambda: "first quotes sent" in log.read_text() or proc.poll() is not None, 60, "quotes")
            assert proc.poll() is None, log.read_text()[-2000:]
            proc.send_signal(getattr(signal, avax["kill_signal"]))          # pm2 stop
            assert proc.wait(timeout=avax["kill_timeout"] / 1000) == 0, log.read_text()[-2000:]
        finally:
            if proc.poll() is None:
                proc.kill()
    assert "no quotes left resting" in log.read_text()


MAKER_SIM_COMMANDS = ("python3 main.py AVAX --sim --set maker=hyperliquid --set hedge=binance",
                      "python3 main.py ETH --sim --set maker=binance --set hedge=hyperliquid")


@pytest.mark.slow
def test_the_maker_venue_sim_commands_run_as_shown(tmp_path):
    runs = []
    for i, command in enumerate(MAKER_SIM_COMMANDS):
        cwd = tmp_path / str(i)
        cwd.mkdir()
        runs.append((command, cwd, run_shown(command, cwd, "--duration", "10", "--summary-json", "s.json")))
    for command, cwd, proc in runs:
        status, out, err = finish(proc, 90)
        assert status == 0, f"{command}: {out[-1500:]}{err[-1500:]}"
        summary = json.loads((cwd / "s.json").read_text())
        assert summary["exit_status"] == 0 and summary["orders"]["placed"] > 0, summary
        maker = command.split("maker=")[1].split()[0]
        assert f"no quotes left resting on {maker.capitalize()}" in out, out[-2000:]


def test_the_simnet_bench_runs_as_shown(tmp_path):
    status, out, err = finish(run_shown("python3 -m tools.simnet.bench_hubble --orders 600 --batch 20 --fills 300",
                                        tmp_path), 120)
    assert status == 0, err[-2000:]
    assert "signed-order placements: 600/600 accepted" in out and "fills:" in out


@pytest.mark.slow
def test_the_short_observer_command_runs_as_shown(tmp_path):
    command = ("python3 -m tools.observer --maker hyperliquid --hedge binance --market AVAX --scenarios quiet "
               "--seconds 10 --out observer_results/quiet")
    status, out, err = finish(run_shown(command, tmp_path), 120)
    assert status == 0, err[-2000:]
    folder = tmp_path / "observer_results" / "quiet"
    report = json.loads((folder / "quiet.json").read_text())
    assert report["pair"] == "hyperliquid->binance" and report["bot_exit_code"] == 0
    assert (folder / "table.md").exists() and "hyperliquid -> binance" in out
    log = (folder / "quiet.bot.log").read_text()
    assert "SIGTERM received" in log, log[-2000:]                 # the observer stopped the bot, which stopped
    if "first quotes sent" in log:                                # (on a loaded machine it may start too late
        assert report["quotes"]["samples"] > 0                    # to quote within the 10 s)


def test_the_netting_commands_make_and_rescan_every_row_with_a_stand_in_bot(tmp_path, monkeypatch, capsys):
    from tools.bench.botrun import RunResult
    from tools.simnet.hubble import netting

    made = []

    def stand_in(spec, out_dir: Path) -> RunResult:                # run_bot without the bot
        made.append(spec)
        summary = {"run_seconds": 10, "fills": {"count": 100}, "hedges": {"count": 40},
                   "latency": {"fill_to_hedge_sent": {"count": 40, "p50_ms": 1.0, "p99_ms": 2.0, "max_ms": 3.0}},
                   "final_net_delta": {"base": 0}}
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / f"{spec.name}.summary.json").write_text(json.dumps(summary))
        return RunResult(spec, summary, None, None, None, 1.0, 0)

    monkeypatch.setattr(netting, "run_bot", stand_in)
    out = ["--out", str(tmp_path)]
    assert netting.main(out) == 0                                   # python3 -m tools.simnet.hubble.netting
    assert [s.name for s in made] == list(netting.RUNS)
    former = {s.name: s for s in made}["former_1.5s_binance"]
    assert former.hedge == "binance" and "--set=hubble.block_time_s=1.5" in former.sim_args

    made.clear()
    only = ["node_hyperliquid", "former_1.5s_hyperliquid", "node_binance", "former_1.5s_binance"]
    assert netting.main(["--only", *only, *out]) == 0
    assert [s.name for s in made] == only
    assert set(json.loads((tmp_path / "netting.json").read_text())["runs"]) == set(netting.RUNS)

    made.clear()
    capsys.readouterr()
    assert netting.main(["--rescan", *out]) == 0 and made == []     # from the summaries kept in --out
    table = capsys.readouterr().out
    assert all(f"{run} | 10.0 | 0.4 | 1.0 / 2.0" in table for run in netting.RUNS), table


# --- pages and links -----------------------------------------------------------------------------------------

def test_the_readme_is_a_front_door():
    lines = README.read_text().splitlines()
    assert len(lines) <= 300, f"README.md has {len(lines)} lines: move a section to a docs/ page"


def test_every_top_level_docs_page_is_linked_from_the_readme():
    text = README.read_text()
    for page in top_level_pages():
        assert re.search(rf"\]\(docs/{re.escape(page.name)}(#[^)]*)?\)", text), f"README.md does not link {page.name}"


LINK = re.compile(r"\]\(([^)\s]+)\)")


def prose(text: str) -> str:
    """The text outside fenced code blocks."""
    out, fence = [], None
    for line in text.splitlines():
        m = FENCE.match(line)
        if fence is None and m:
            fence = m.group(1)
        elif fence is not None and m and m.group(1).startswith(fence) and not m.group(2):
            fence = None
        elif fence is None:
            out.append(line)
    return "\n".join(out)


def test_every_relative_link_resolves():
    broken = []
    for path in pages():
        for target in LINK.findall(prose(path.read_text())):
            if re.match(r"^[a-z]+:", target) or target.startswith("#"):
                continue                                             # a web address, or an anchor on the page
            file = target.split("#", 1)[0]
            if not (path.parent / file).exists():
                broken.append(f"{name(path)}: {target}")
    assert not broken, broken


PATH_PREFIXES = ("bot/", "tools/", "tests/", "docs/")


def test_every_path_the_readme_and_top_level_pages_name_exists():
    missing = []
    for path in [README, *top_level_pages()]:
        for token in re.findall(r"`([^`\s]+)`", path.read_text()):
            if token.startswith(PATH_PREFIXES) and not re.search(r"[{<*]", token):
                if not (ROOT / token.split("::")[0]).exists():
                    missing.append(f"{name(path)}: {token}")
    assert not missing, missing


# --- the layout tables follow the tree -----------------------------------------------------------------------

def layout_rows(path: Path) -> list[list[str]]:
    text = path.read_text()
    section = text[text.index("## Layout"):]
    section = section[section.index("\n|"):]
    rows = []
    for line in section.strip().splitlines():
        if not line.startswith("|"):
            break
        if not re.fullmatch(r"\|[\s:|-]+\|", line.strip()):        # not the header's underline
            rows.append([c.strip() for c in line.strip().strip("|").split(" | ")])
    return rows[1:]                                                      # past the header


def test_the_readme_layout_table_follows_the_tree():
    named = set()
    for cells in layout_rows(README):
        for token in re.findall(r"`([^`]+)`", cells[0]):
            assert (ROOT / token).exists(), f"README.md layout names {token}, which does not exist"
            named.add(token)
    packages = {"/".join(p.split("/")[:2]) + "/" for p in tracked()
                if p.startswith(("bot/", "tools/")) and p.count("/") >= 2}
    required = packages | {"bot/", "tests/", "docs/"}
    assert required <= named, f"README.md layout lacks {sorted(required - named)}"


def test_the_engine_pages_layout_lists_every_module_of_bot():
    rows = {}
    for cells in layout_rows(DOCS / "engine.md"):
        directory = re.findall(r"`([^`]+)`", cells[0])
        assert len(directory) == 1 and directory[0].endswith("/"), cells[0]
        listed = cells[1]
        while re.search(r"\([^()]*\)", listed):                     # what a module holds is not a module
            listed = re.sub(r"\([^()]*\)", "", listed)
        rows[directory[0]] = re.findall(r"`([\w.]+\.py)`", listed)
    modules: dict[str, set[str]] = {}
    for p in tracked():
        if p.startswith("bot/") and p.endswith(".py"):
            folder, _, file = p.rpartition("/")
            if file != "__init__.py" or (ROOT / p).read_text().strip():
                modules.setdefault(folder + "/", set()).add(file)
            else:
                modules.setdefault(folder + "/", set())
    assert set(rows) == set(modules), \
        f"docs/engine.md layout: rows for {sorted(set(rows) - set(modules))} (no such package), " \
        f"none for {sorted(set(modules) - set(rows))}"
    for directory, named in rows.items():
        for file in named:
            assert (ROOT / directory / file).exists(), f"docs/engine.md layout names {directory}{file}: missing"
        assert modules[directory] <= set(named), \
            f"docs/engine.md layout, {directory}: {sorted(modules[directory] - set(named))} not listed"


def _collected(*args: str) -> dict[str, int]:
    """Test file -> tests collected, as `pytest --collect-only` reports them under pytest.ini's -q."""
    out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-n", "0", *args], cwd=ROOT,
                         capture_output=True, text=True, timeout=120).stdout
    counts = {}
    for line in out.splitlines():
        name, _, count = line.rpartition(": ")
        if name.startswith("tests/") and count.isdigit():
            counts[name] = int(count)
    return counts


def test_the_longrun_marker_selects_the_long_runs_and_the_default_run_leaves_them_out():
    """`python3 -m pytest -m longrun` (README) collects the long-horizon runs, and only them; the README's
    plain test command leaves them out (pytest.ini's -m "not longrun")."""
    assert _collected("-m", "longrun") == {"tests/test_longrun.py": 10}
    default = _collected()
    assert len(default) > 50 and "tests/test_longrun.py" not in default
