# gitci — the two commands of the README's quick start are `make demo` and `make test`.
PREFIX ?= /usr/local
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := libgit2-dev libssl-dev libsqlite3-dev pkg-config git sqlite3 bubblewrap python3-setuptools-scm openssh-server openssh-client python3-venv python3-pip curl

.PHONY: deps build release test test-browser demo bench install uninstall clean

# Installs the system libraries only when one is missing, so repeated runs cost nothing.
deps:
	@if ! dpkg -s $(APT_PACKAGES) >/dev/null 2>&1; then \
		echo "installing $(APT_PACKAGES) through apt"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(APT_PACKAGES) >/dev/null; \
	fi

build: deps
	$(SWIFT) build

# gitci-hook is the lean post-receive hook program; it must sit next to gitci. gitci links the
# static archives of SQLite and libstdc++ found here (Package.swift says why), and has no
# $$ORIGIN in its library search path: it loads nothing from beside itself, and each library it
# does load would be looked for there first.
STATIC_ARCHIVES := .build/static-archives
# Every release product is built with the same Swift flags, or each build would recompile the
# others' modules. By default Swift code names the metadata of a concrete generic type
# (`[String: Node]`, `Optional<Job>`) by its mangled name, which the runtime demangles on first
# use, checking each generic requirement by a scan of all ~6,500 conformance records; with this
# flag the compiler calls the type's metadata accessor instead. A little more code, and every
# start sooner: alternating runs, 200 each, `gitci worker` with nothing to do 10.9 -> 9.6 ms,
# `gitci status` 7.7 -> 6.6 ms, `gitci validate` 5.4 -> 4.6 ms.
SWIFT_RELEASE := $(SWIFT) build -c release -Xswiftc -Xfrontend -Xswiftc -disable-concrete-type-metadata-mangled-name-accessors

release: deps
	@mkdir -p $(STATIC_ARCHIVES)
	@for archive in libsqlite3.a libstdc++.a; do \
		found=$$( (clang -print-file-name=$$archive || cc -print-file-name=$$archive) 2>/dev/null); \
		case "$$found" in /*) ln -sf "$$found" $(STATIC_ARCHIVES)/$$archive ;; esac; \
	done
	$(SWIFT_RELEASE) --static-swift-stdlib --disable-local-rpath --product gitci
	$(SWIFT_RELEASE) --static-swift-stdlib --product gitci-hook
	$(SWIFT_RELEASE) --product gitci-sandbox-init

# Serial on purpose: many end-to-end tests wait for real processes synchronously, and run in
# parallel on a 2-core machine they starve Swift's cooperative thread pool (a test polling for
# a step's file then times out). The whole suite takes about a minute this way.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --no-parallel

# The web UI in a real browser: Debian's Chromium and its driver, Selenium from PyPI in a
# virtual environment of its own. Screenshots land in .build/screenshots.
BROWSER_PACKAGES := chromium chromium-driver
BROWSER_VENV := .build/browser-venv
test-browser: build
	@if ! dpkg -s $(BROWSER_PACKAGES) >/dev/null 2>&1; then \
		echo "installing $(BROWSER_PACKAGES) through apt"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(BROWSER_PACKAGES) >/dev/null; \
	fi
	@if ! $(BROWSER_VENV)/bin/python -c "import selenium" 2>/dev/null; then \
		python3 -m venv $(BROWSER_VENV) && $(BROWSER_VENV)/bin/pip install -q "selenium>=4.20,<5"; \
	fi
	GITCI=$$($(SWIFT) build --show-bin-path)/gitci $(BROWSER_VENV)/bin/python Tests/Browser/test_web_ui.py

demo: build
	@if ! command -v python3 >/dev/null 2>&1; then \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq python3 >/dev/null; \
	fi
	GITCI=$$($(SWIFT) build --show-bin-path)/gitci sh scripts/demo.sh

bench: release
	$(SWIFT_RELEASE) --product gitci-bench-notes
	GITCI=$$($(SWIFT_RELEASE) --show-bin-path)/gitci \
	GITCI_BENCH_NOTES=$$($(SWIFT_RELEASE) --show-bin-path)/gitci-bench-notes \
	python3 scripts/bench.py

install: release
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/gitci
	install -m 755 $$($(SWIFT_RELEASE) --show-bin-path)/gitci $(DESTDIR)$(PREFIX)/bin/gitci
	install -m 755 $$($(SWIFT_RELEASE) --show-bin-path)/gitci-hook $(DESTDIR)$(PREFIX)/bin/gitci-hook
	install -m 755 $$($(SWIFT_RELEASE) --show-bin-path)/gitci-sandbox-init $(DESTDIR)$(PREFIX)/bin/gitci-sandbox-init
	cp -R hooks templates $(DESTDIR)$(PREFIX)/share/gitci/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/gitci $(DESTDIR)$(PREFIX)/bin/gitci-hook $(DESTDIR)$(PREFIX)/bin/gitci-sandbox-init
	rm -rf $(DESTDIR)$(PREFIX)/share/gitci

clean:
	rm -rf .build
