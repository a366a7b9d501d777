"""The `pulseboard` command: every sub-command of the packages, and `up` and `doctor` for a laptop."""
