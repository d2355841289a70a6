"""The simulation layer, above the services: a compliance year of several markets from a scenario
file (``schema.Scenario``, ``schema.load_scenario``), the world it sets up (``world``), the trading
agents (``agents``), the stages (``allocation``, ``mrv``, ``trading``, ``auction``, ``offsets``,
``surrender``) run in order by ``runner.YearRunner``, what the year gives (``outcome``), the
progress port (``progress``) and the registry walk-through (``walkthrough``). Reads and writes go
through services only. Nothing is imported here, so that the CLI can import the light modules
(``schema``, ``progress``) without the services behind the runner."""
