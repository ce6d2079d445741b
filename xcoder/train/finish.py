"""The end every recipe shares: train, save, tell, push, and let the trainer go."""

from __future__ import annotations


def train_and_save(trainer, training_args, dataset_name: str | None, save_state: bool = False) -> None:
    """Train (resuming if asked), save the model to ``output_dir`` and, with ``save_state``,
    ``trainer_state.json`` (the loss history, for plots and checks); push if configured."""
    trainer.train(resume_from_checkpoint=training_args.resume_from_checkpoint)
    trainer.save_model(training_args.output_dir)
    if save_state:
        trainer.save_state()
    trainer.accelerator.print(f"Model saved to {training_args.output_dir}")
    if training_args.push_to_hub:
        trainer.push_to_hub(dataset_name=dataset_name)
    if hasattr(trainer, "end"):  # transformers >= 5.18: finish trackers, tear down the process group
        trainer.end()
