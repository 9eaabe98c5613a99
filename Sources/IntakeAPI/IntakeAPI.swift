// Generated from OpenAPI/openapi.yaml by swift-openapi-generator at build time; see openapi-generator-config.yaml.
