"""Store → weekly features → KNN forecaster (train); published artifact → forecast (predict)."""
