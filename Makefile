# Civic Intake — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
DB := scripts/db.sh
# DATABASE_URL and TEST_DATABASE_URL for the local cluster that scripts/db.sh manages.
WITH_DB_ENV = eval "$$($(DB) env)" &&
INTAKE := .build/debug/intake

.PHONY: run test format bench bench-scale drills contract build release db-up db-down db-status psql migrate clean

## run: start PostgreSQL+PostGIS (installing it if missing), migrate, seed the demo councils,
## serve API and worker on :8080 (plain-http webhook URLs allowed, for trying them locally)
run: db-up build
	$(WITH_DB_ENV) $(INTAKE) migrate
	$(WITH_DB_ENV) $(INTAKE) seed-demo
	$(WITH_DB_ENV) DESTINATIONS_ALLOW_HTTP=$${DESTINATIONS_ALLOW_HTTP:-true} DESTINATIONS_ALLOW_PRIVATE=$${DESTINATIONS_ALLOW_PRIVATE:-true} exec $(INTAKE) dev --http-port $${HTTP_PORT:-8080}

## format: swift-format over the tree, with the checked-in .swift-format (`make test` fails on
## anything it would change)
format:
	swift format format --in-place --recursive --parallel Package.swift Sources Tests

## test: the layer check, the format check, the same database bootstrap (plus headless Chromium for the payment page's browser
## test, installed if missing), the contract check (schemathesis, about a minute and a half),
## the Notify interop check (GOV.UK Notify's own Python client judges our tokens and the
## stand-in), then the whole test suite, suites in parallel (at most six tests hold a database at once, see
## Tests/IntakeTestSupport/TestDatabase.swift).
test: db-up
	scripts/check-layers.sh
	swift format lint --strict --recursive --parallel Package.swift Sources Tests
	scripts/browser.sh
	$(DB) clean-tests
	swift build --build-tests
	scripts/contract.sh
	scripts/notify-interop.sh
	$(WITH_DB_ENV) swift test --skip-build

## bench: release build, then the benchmarks against the local database (figures printed as tables)
bench:
	scripts/bench.sh

## bench-scale: release build, then the service at national size (400 councils, 10 million
## reports generated in SQL; reads and intake beside a nearly empty database, with query plans;
## housekeeping under intake; two serve and two worker processes behind HAProxy). About half an
## hour and 10 GB of disk, dropped at the end; BENCH_SCALE_REPORTS sets the size.
bench-scale: db-up
	swift build -c release --product intake
	swift build -c release --product webhook-sink
	INTAKE_BIN=.build/release/intake scripts/bench-scale.sh

## drills: fault drills against their own PostgreSQL cluster (each stops by itself; figures printed)
drills: build
	scripts/drills.sh

## contract: schemathesis (pinned, in its own virtual environment) against `intake dev` on a fresh
## database, every check on; fails on any finding (also run by `make test`)
contract: db-up build
	scripts/contract.sh

build:
	swift build

release:
	swift build -c release

migrate: db-up build
	$(WITH_DB_ENV) $(INTAKE) migrate

db-up:
	$(DB) up

db-down:
	$(DB) down

db-status:
	$(DB) status

psql:
	$(DB) psql

clean:
	rm -rf .build
