# Compiles the artifacts the runtime's end-to-end tests load (cmake -P):
#   <model>.vlmc                     the float model
#   <model>.<mode>.vlmc              quantized by vlm-compile
#   <model>.<mode>.dequantized.vlmc  the same quantization written by
#                                    vlm-convert, dequantized back to f32 by
#                                    vlm-convert -d: the reference weights
file(MAKE_DIRECTORY ${OUT_DIR})

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_QUIET)
  if(NOT result EQUAL 0)
    string(REPLACE ";" " " command "${ARGN}")
    message(FATAL_ERROR "failed: ${command}")
  endif()
endfunction()

set(modes affine4 affine8 mxfp4 mxfp8 nvfp4 mixed_3_6 mxfp8-qa nvfp4-qa)
set(flags_affine4 -q)
set(flags_affine8 -q --q-bits 8)
set(flags_mxfp4 -q --q-mode mxfp4)
set(flags_mxfp8 -q --q-mode mxfp8)
set(flags_nvfp4 -q --q-mode nvfp4)
set(flags_mixed_3_6 -q --quant-predicate mixed_3_6)
set(flags_mxfp8-qa -q --q-mode mxfp8 -qa)
set(flags_nvfp4-qa -q --q-mode nvfp4 -qa)

foreach(model qwen2vl-tiny qwen2_5vl-tiny smolvlm-tiny tinystories-656k)
  set(src ${DATA_DIR}/${model})
  run(${VLM_COMPILE} --model ${src} --target cpu --emit artifact -o ${OUT_DIR}/${model}.vlmc)
  # The same model through MLX's layout (renamed tensors, channels-last conv
  # weights): <model>.from-mlx.vlmc must behave identically.
  run(${VLM_CONVERT} --hf-path ${src} --mlx-path ${OUT_DIR}/${model}.mlx --force)
  run(${VLM_COMPILE} --model ${OUT_DIR}/${model}.mlx --target cpu --emit artifact
      -o ${OUT_DIR}/${model}.from-mlx.vlmc)
  file(REMOVE_RECURSE ${OUT_DIR}/${model}.mlx)
  # <model>.hidden.vlmc: @prefill also returns the hidden states.
  run(${VLM_COMPILE} --model ${src} --target cpu --emit-hidden-states --emit artifact
      -o ${OUT_DIR}/${model}.hidden.vlmc)
  foreach(mode ${modes})
    run(${VLM_COMPILE} --model ${src} ${flags_${mode}} --target cpu --emit artifact
        -o ${OUT_DIR}/${model}.${mode}.vlmc)
    if(mode MATCHES "-qa$")
      continue() # its weights are those of the weight-only mode
    endif()
    set(mlx ${OUT_DIR}/${model}.${mode}.mlx)
    list(REMOVE_ITEM flags_${mode} -qa)
    run(${VLM_CONVERT} --hf-path ${src} --mlx-path ${mlx} ${flags_${mode}} --force)
    run(${VLM_CONVERT} --hf-path ${mlx} --mlx-path ${mlx}.dequantized -d --dtype float32 --force)
    run(${VLM_COMPILE} --model ${mlx}.dequantized --target cpu --emit artifact
        -o ${OUT_DIR}/${model}.${mode}.dequantized.vlmc)
    file(REMOVE_RECURSE ${mlx} ${mlx}.dequantized)
  endforeach()
endforeach()
