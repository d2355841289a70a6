"""The service edge: FastAPI routes (thin: parse, call a service, map errors), schemas, auth."""
