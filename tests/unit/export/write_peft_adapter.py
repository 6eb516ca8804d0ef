"""Writes a LoRA adapter folder the way PEFT saves one (adapter_config.json with PEFT's fields, adapter_model.safetensors
with PEFT's key names, sorted, bf16 B factors as a bf16 training run leaves them), with nothing of ours: the header
and bytes are packed here by hand from the safetensors spec. The "trained elsewhere" adapter the import tests load.

usage: python3 write_peft_adapter.py OUT_DIR LAYERS HIDDEN KV_DIM INTERMEDIATE RANK ALPHA TARGETS SEED BASE
Prints the values as JSON (key -> [shape, floats as stored]) so the test compares what it loaded."""
import json, os, random, struct, sys

out, layers, hidden, kv_dim, inter, r, alpha, targets, seed, base = sys.argv[1:]
layers, hidden, kv_dim, inter, r, alpha, seed = map(int, (layers, hidden, kv_dim, inter, r, alpha, seed))
targets = targets.split(",")
rng = random.Random(seed)
dims = {"q_proj": (hidden, hidden), "k_proj": (hidden, kv_dim), "v_proj": (hidden, kv_dim), "o_proj": (hidden, hidden),
        "gate_proj": (hidden, inter), "up_proj": (hidden, inter), "down_proj": (inter, hidden)}
group = {"q_proj": "self_attn", "k_proj": "self_attn", "v_proj": "self_attn", "o_proj": "self_attn",
         "gate_proj": "mlp", "up_proj": "mlp", "down_proj": "mlp"}

def bf16(x):
    bits = struct.unpack("<I", struct.pack("<f", x))[0]
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16  # round to nearest even, as torch does
    return bits, struct.unpack("<f", struct.pack("<I", bits << 16))[0]

tensors = {}
for l in range(layers):
    for t in targets:
        i, o = dims[t]
        prefix = f"base_model.model.model.layers.{l}.{group[t]}.{t}"
        tensors[f"{prefix}.lora_A.weight"] = ("F32", [r, i], [rng.uniform(-0.3, 0.3) for _ in range(r * i)])
        tensors[f"{prefix}.lora_B.weight"] = ("BF16", [o, r], [rng.uniform(-0.3, 0.3) for _ in range(o * r)])

header, blobs, offset, stored = {"__metadata__": {"format": "pt"}}, [], 0, {}
for key in sorted(tensors):
    dtype, shape, vals = tensors[key]
    if dtype == "F32":
        blob = struct.pack(f"<{len(vals)}f", *vals)
        stored[key] = [shape, list(struct.unpack(f"<{len(vals)}f", blob))]
    else:
        pairs = [bf16(v) for v in vals]
        blob = struct.pack(f"<{len(vals)}H", *[b for b, _ in pairs])
        stored[key] = [shape, [f for _, f in pairs]]
    header[key] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(blob)]}
    blobs.append(blob)
    offset += len(blob)
h = json.dumps(header, separators=(",", ":")).encode()
h += b" " * (-len(h) % 8)
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "adapter_model.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
config = {
    "alpha_pattern": {}, "auto_mapping": None, "base_model_name_or_path": base, "bias": "none", "corda_config": None,
    "eva_config": None, "exclude_modules": None, "fan_in_fan_out": False, "inference_mode": True, "init_lora_weights": True,
    "layer_replication": None, "layers_pattern": None, "layers_to_transform": None, "loftq_config": {}, "lora_alpha": alpha,
    "lora_bias": False, "lora_dropout": 0.05, "megatron_config": None, "megatron_core": "megatron.core", "modules_to_save": None,
    "peft_type": "LORA", "r": r, "rank_pattern": {}, "revision": None, "target_modules": sorted(targets), "task_type": "CAUSAL_LM",
    "trainable_token_indices": None, "use_dora": False, "use_rslora": False,
}
with open(os.path.join(out, "adapter_config.json"), "w") as f:
    json.dump(config, f, indent=2, sort_keys=True)
print(json.dumps(stored))
