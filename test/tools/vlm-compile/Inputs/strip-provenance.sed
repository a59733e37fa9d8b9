# Drops the attributes that say where a parameter's bytes come from, keeping
# what the program computes.
s/quantize = #vlm\.quant<[^>]*>(, )?//g
s/permutation = array<[^>]*>(, )?//g
s/(, )?source = "[^"]*"//g
s/ \{\}//g
