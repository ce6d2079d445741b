"""GRPO with TRL on execution rewards.

    # one node, vLLM colocated with training
    accelerate launch --config_file recipes/accelerate/zero3.yaml recipes/grpo.py \
        --config recipes/qwen2.5-coder-7b-instruct/grpo.yaml
    # vLLM on its own GPU(s): start `trl vllm-serve --model <model>` there first, then
    accelerate launch ... recipes/grpo.py --config ... --vllm_mode server
    # CPU smoke run (after the tiny SFT, see recipes/tiny/grpo.yaml)
    accelerate launch --num_processes 1 --cpu recipes/grpo.py --config recipes/tiny/grpo.yaml

Any config key can be overridden on the command line (``--learning_rate 1e-6``). Rewards are
named in the YAML (``reward_funcs``, ``reward_weights``, ``reward_options``) and built by the
``rewards`` registry; data loading and checks live in xcoder.train.grpo. See docs/rewards.md.
"""

from __future__ import annotations


def main(script_args, training_args, model_args):
    from transformers import AutoTokenizer
    from trl import get_peft_config, get_quantization_config

    from rewards import get_reward_funcs
    from xcoder.train.data_paths import check_data_paths
    from xcoder.train.finish import train_and_save
    from xcoder.train.grpo import (
        check_options,
        load_rl_dataset,
        prepare_model,
        reward_options,
    )
    from xcoder.train.grpo_trainer import GroupSamplingGRPOTrainer

    check_options(script_args, training_args)
    check_data_paths(script_args)  # before the model is built or loaded
    model = prepare_model(script_args, training_args, model_args)
    reward_funcs = get_reward_funcs(
        script_args.reward_funcs,
        asynchronous=script_args.async_rewards,
        **reward_options(script_args, training_args),
    )
    tokenizer = None
    if script_args.max_prompt_tokens is not None:
        tokenizer = AutoTokenizer.from_pretrained(
            model, revision=model_args.model_revision, trust_remote_code=training_args.trust_remote_code
        )
    dataset = load_rl_dataset(script_args, training_args, tokenizer)
    use_eval = training_args.eval_strategy != "no"
    if use_eval and "test" not in dataset:
        raise ValueError("eval_strategy is set but the data has no test split (dataset_test_split)")

    trainer = GroupSamplingGRPOTrainer(  # TRL's GRPOTrainer unless dynamic_sampling/curriculum/replay are on
        model=model,
        reward_funcs=reward_funcs,
        args=training_args,
        train_dataset=dataset["train"],
        eval_dataset=dataset["test"] if use_eval else None,
        quantization_config=get_quantization_config(model_args),
        peft_config=get_peft_config(model_args),
        group_sampling=script_args.group_sampling(),
        replay=script_args.replay_options(),
    )
    train_and_save(trainer, training_args, script_args.dataset_name, save_state=True)  # trainer_state.json: the logs


if __name__ == "__main__":
    from xcoder.train.versions import require_train_versions

    require_train_versions()  # before parsing: an old transformers fails there, unclearly

    from xcoder.cli_errors import UserError
    from xcoder.train.data_paths import parse_or_exit, user_error_exit
    from xcoder.train.grpo import parse_args

    try:
        main(*parse_or_exit(parse_args))
    except UserError as err:
        user_error_exit(err)
