# -*- Python -*-
import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "vlmc"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["Inputs", "unit", "data", "CMakeLists.txt", "lit.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.vlmc_obj_root, "test")

config.environment["FILECHECK_OPTS"] = "--enable-var-scope --dump-input=fail"
llvm_config.use_default_substitutions()
config.substitutions.append(("%test_data", os.path.join(config.vlmc_src_root, "test", "data")))
config.substitutions.append(("%vlmc_src_root", config.vlmc_src_root))

tools = ["vlm-opt"]
for optional_tool in ["vlm-convert", "vlm-compile", "vlm-inspect", "vlm-run", "vlm-generate", "vlm-tokenize", "vlm-bench"]:
    if os.path.exists(os.path.join(config.vlmc_tools_dir, optional_tool)):
        tools.append(optional_tool)
        config.available_features.add(optional_tool)
llvm_config.add_tool_substitutions(tools, [config.vlmc_tools_dir, config.llvm_tools_dir])
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
