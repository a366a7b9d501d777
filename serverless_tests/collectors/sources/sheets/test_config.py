"""The sheet's config: read from the settings once, the key file from the environment or SSM."""

from __future__ import annotations

from collectors.sources.sheets.config import SheetsConfig
from serverless_tests.collectors.conftest import FakeSsm
from settings import Settings


def test_the_key_file_may_come_from_ssm(tmp_path):
    current = Settings(data_dir=tmp_path, sheets_id="abc", sheets_range="Log!A1:E",
                       _secrets=FakeSsm(GOOGLE_CREDENTIALS='{"type": "service_account"}'))
    config = SheetsConfig.from_settings(current)
    assert config.configured and config.credentials_file == tmp_path / "google-credentials.json"
    assert config.credentials_file.read_text() == '{"type": "service_account"}'
    assert (config.sheet_id, config.a1_range) == ("abc", "Log!A1:E")


def test_a_key_file_and_a_sheet_id_are_both_needed(tmp_path):
    key = tmp_path / "key.json"
    assert not SheetsConfig.from_settings(Settings(google_credentials=key)).configured
    assert not SheetsConfig.from_settings(Settings(sheets_id="abc")).configured
    assert SheetsConfig.from_settings(Settings(google_credentials=key, sheets_id="abc")).configured
