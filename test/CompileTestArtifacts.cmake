# Compiles the fixtures the runtime's end-to-end tests need (cmake -P).
file(MAKE_DIRECTORY ${OUT_DIR})
foreach(model qwen2vl-tiny qwen2_5vl-tiny smolvlm-tiny tinystories-656k)
  execute_process(
    COMMAND ${VLM_COMPILE} --model ${DATA_DIR}/${model} --target cpu
            --emit artifact -o ${OUT_DIR}/${model}.vlmc
    RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "vlm-compile failed for ${model}")
  endif()
endforeach()
