-- PostGIS gives us geometry types, spatial indexes and coordinate transforms (WGS84 ↔ British
-- National Grid). Every later migration may rely on it.
CREATE EXTENSION IF NOT EXISTS postgis;
