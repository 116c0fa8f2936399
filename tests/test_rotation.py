"""Issue 17 item 7 / issue 20: logs/<market>.log and the event journal rotate, and the report still reads every
run of a rotated journal."""
from __future__ import annotations

import logging
import logging.handlers
import os
import time

import pytest

from bot import logs, settings
from bot.reporting.journal import EventJournal
from bot.reporting.rotation import FileRotation, log_handler
from tools.report.journal import read_journal


def test_the_journal_moves_aside_at_its_size_and_keeps_the_newest_backups(tmp_path):
    path = tmp_path / "avax-events.jsonl"
    journal = EventJournal(path, FileRotation(path, "1MB", backups=2))
    for _ in range(5):
        journal.write("status", note="x" * 400_000)
        journal.append(journal.take())
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["avax-events.jsonl", "avax-events.jsonl.1", "avax-events.jsonl.2"]
    assert all(p.stat().st_size <= 1024 * 1024 for p in tmp_path.iterdir())


def test_a_daily_journal_moves_aside_when_the_utc_day_changed(tmp_path):
    path = tmp_path / "avax-events.jsonl"
    rotation = FileRotation(path, "daily", backups=3)
    path.write_text("{}\n")
    assert not rotation.due()
    yesterday = time.time() - 86_400
    os.utime(path, (yesterday, yesterday))
    assert rotation.due()
    rotation.rotate()
    assert (tmp_path / "avax-events.jsonl.1").exists() and not path.exists()


def test_the_report_reads_the_runs_of_every_rotated_part(tmp_path):
    path = tmp_path / "avax-events.jsonl"
    for run in ("old", "mid", "new"):
        journal = EventJournal(path, FileRotation(path, "1MB", backups=5))
        journal.run = run
        journal.write("start", market="AVAX")
        journal.write("stop", exit_status=0)
        journal.append(journal.take())
        if run != "new":
            journal.rotation.rotate()
    assert [r.run_id for r in read_journal(path).runs] == ["old", "mid", "new"]


def test_the_log_file_handler_follows_the_setting(tmp_path):
    sized = log_handler(tmp_path / "a.log", "5MB", 3)
    daily = log_handler(tmp_path / "b.log", "daily", 7)
    try:
        assert isinstance(sized, logging.handlers.RotatingFileHandler) and sized.maxBytes == 5 * 1024 * 1024
        assert sized.backupCount == 3
        assert isinstance(daily, logging.handlers.TimedRotatingFileHandler) and daily.backupCount == 7
    finally:
        sized.close()
        daily.close()
    path = logs.setup("AVAX", log_dir=tmp_path, rotation="1MB", backups=2)
    try:
        handler = next(h for h in logging.getLogger().handlers if isinstance(h, logging.handlers.RotatingFileHandler))
        assert handler.baseFilename == str(path)
    finally:
        for h in list(logging.getLogger().handlers):
            if isinstance(h, logging.FileHandler):
                logging.getLogger().removeHandler(h)
                h.close()


@pytest.mark.parametrize("value", ["weekly", "0MB", "50GB", 50])
def test_a_bad_rotation_setting_is_refused_with_one_line(value):
    with pytest.raises(settings.ConfigError, match="logRotation"):
        settings.load("AVAX", [f"logRotation={value}"])


def test_a_good_rotation_setting_is_taken():
    assert settings.load("AVAX", ["logRotation=daily", "logBackups=3"]).log_rotation == "daily"
    assert settings.load("AVAX", ["logRotation=20mb"]).log_rotation == "20MB"
