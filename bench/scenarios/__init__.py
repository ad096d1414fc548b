"""One module per scenario group; each returns a `ScenarioResult`."""
