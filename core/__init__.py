"""The bottom layer every package may use: the error root and the one CLI helper."""
