"""The HTTP layer: FastAPI app, dependencies, routes, error translation."""
