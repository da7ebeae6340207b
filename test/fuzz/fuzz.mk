# make fuzz, make test-asan: see test/fuzz/README.md (written with the fuzz targets).
