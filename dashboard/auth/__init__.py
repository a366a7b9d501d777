"""Who may see the dashboard: users, sign-in, sessions, CSRF and the sign-in throttle."""
