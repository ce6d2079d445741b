"""Supervised fine-tuning with TRL.

    accelerate launch --config_file recipes/accelerate/zero3.yaml recipes/sft.py \
        --config recipes/qwen2.5-coder-7b-instruct/sft.yaml
    accelerate launch --num_processes 1 --cpu recipes/sft.py --config recipes/tiny/sft.yaml

Any config key can be overridden on the command line (``--learning_rate 1e-5``). The logic
(data formats and mixtures, loss options, tiny model, CPU precision) lives in xcoder.train.sft.
"""

from __future__ import annotations


def main(script_args, training_args, model_args, dataset_args):
    from xcoder.train.data_paths import check_data_paths
    from xcoder.train.finish import train_and_save
    from xcoder.train.sft import check_options, load_sft_dataset, make_trainer, prepare_model

    check_options(script_args, training_args)
    check_data_paths(script_args, dataset_args)  # before the model is built or loaded
    model = prepare_model(script_args, training_args, model_args)
    dataset = load_sft_dataset(script_args, dataset_args, training_args)
    if training_args.eval_strategy != "no" and "test" not in dataset:
        raise ValueError("eval_strategy is set but there is no eval split: set test_split_size or dataset_test_split")

    eval_dataset = dataset["test"] if training_args.eval_strategy != "no" else None
    trainer = make_trainer(model, training_args, dataset["train"], eval_dataset, model_args)
    train_and_save(trainer, training_args, script_args.dataset_name, save_state=True)


if __name__ == "__main__":
    from xcoder.train.versions import require_train_versions

    require_train_versions()  # before parsing: an old transformers fails there, unclearly

    from xcoder.cli_errors import UserError
    from xcoder.train.data_paths import parse_or_exit, user_error_exit
    from xcoder.train.sft import parse_args

    try:
        main(*parse_or_exit(parse_args))
    except UserError as err:
        user_error_exit(err)
