"""mlx_vlm.prompt_utils.apply_chat_template, so MLX-VLM's usual

    formatted = apply_chat_template(processor, config, prompt, num_images=1)
    output = generate(model, processor, formatted, image)

runs unchanged. The formatted prompt remembers the user turn it came from,
which is what vlmc.generate feeds the runtime (it applies the template
itself)."""


def get_message_json(prompt, role="user", num_images=0):
    """One message: num_images image parts, then the text (the layout
    transformers' processors and the runtime render)."""
    content = [{"type": "image"} for _ in range(num_images)]
    content.append({"type": "text", "text": prompt})
    return {"role": role, "content": content}


def get_messages(prompt, num_images=0):
    if isinstance(prompt, str):
        return [get_message_json(prompt, "user", num_images)]
    messages = []
    images_left = num_images
    for i, item in enumerate(prompt):
        if isinstance(item, dict):
            messages.append(item)
            continue
        role = "user" if i % 2 == 0 else "assistant"
        # The images go with the first user message.
        messages.append(get_message_json(item, role, images_left if role == "user" else 0))
        if role == "user":
            images_left = 0
    return messages


def apply_chat_template(processor, config, prompt, add_generation_prompt=True,
                        return_messages=False, num_images=0, **kwargs):
    """Renders `prompt` (a str, or a list of str alternating user/assistant or
    of message dicts) with the model's chat template. `config` is accepted for
    MLX-VLM's signature; the template comes from the processor."""
    del config  # the processor carries the template
    messages = get_messages(prompt, num_images)
    if return_messages:
        return messages
    return processor.apply_chat_template(messages, add_generation_prompt=add_generation_prompt,
                                         **kwargs)
