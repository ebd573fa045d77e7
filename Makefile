# Thin wrappers over scripts/, cmake and ctest. See README.md.
BUILD ?= build
JOBS  ?= $(shell nproc)
DEV_DIR ?= data/dev
DEV_EMAIL ?= demo@example.test
DEV_OFFSET ?= 10000

.PHONY: all setup build run test bench stress fuzz clean

all: build

setup:
	@bash scripts/setup.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja

build: setup $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

run: build
	@bash scripts/run-dev.sh $(BUILD)/hearth $(DEV_DIR) $(DEV_EMAIL) $(DEV_OFFSET)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	@bash scripts/bench.sh $(BUILD)

# Crash durability under repeated kill -9 (long; never part of `make test`).
# STRESS_ARGS="--count 2000 --kill-min 0.2 --kill-max 2" for a longer run.
STRESS_ARGS ?=
stress: build
	/usr/bin/python3 tests/stress/stress_durability.py --hearth $(BUILD)/hearth $(STRESS_ARGS)

fuzz: setup
	cmake -S . -B $(BUILD)-fuzz -G Ninja -DHEARTH_FUZZ=ON -DHEARTH_TESTS=OFF \
	  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
	cmake --build $(BUILD)-fuzz -j $(JOBS) --target fuzz_all
	@bash scripts/fuzz.sh $(BUILD)-fuzz

clean:
	rm -rf $(BUILD) $(BUILD)-fuzz
