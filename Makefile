# Two entry points: `make run` (set up, then open the window) and `make test` (set up, run all tests).
.PHONY: setup setup-test run test test-slow bench screenshots bundle deb clean

setup:
	./scripts/setup.sh

setup-test:
	./scripts/setup.sh --test

run: setup
	.venv/bin/slm-desktop

test: setup-test
	./scripts/test.sh

test-slow: setup-test
	./scripts/test.sh -m slow

bench: setup
	.venv/bin/slm-desktop bench all

screenshots: setup-test
	.venv/bin/python scripts/screenshots.py docs

bundle:
	./scripts/setup.sh --bundle
	./packaging/build.sh

deb:
	./scripts/setup.sh --bundle
	./packaging/build.sh --deb

clean:
	rm -rf .venv build dist .pytest_cache
