"""The HTTP request and response models, one module per resource (routes/ has the same names).

Each class name is its OpenAPI schema name, so renaming one changes the published API.
"""
