"""The Pulseboard dashboard: a multi-page Dash app behind a login, reading the store."""
