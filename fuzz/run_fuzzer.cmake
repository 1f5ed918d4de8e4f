# Runs one libFuzzer binary for SECONDS on a scratch copy of its seed corpus (the committed
# corpus is not modified). A crash leaves its input in WORK/ and fails the test.
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/corpus")
file(COPY "${CORPUS}/" DESTINATION "${WORK}/corpus")
execute_process(COMMAND "${BIN}" -max_total_time=${SECONDS} -timeout=25 -rss_limit_mb=2048 -max_len=200000
                        -print_final_stats=1 -artifact_prefix=${WORK}/ "${WORK}/corpus"
                RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "fuzzer ${BIN} failed (${rc}); the crashing input is in ${WORK}")
endif()
