"""The OpenAI-compatible LLM client shared by data generation and evaluation (see ``client.py``)."""

from xcoder.llm.cache import ResponseCache, cache_key
from xcoder.llm.client import ChatRequest, ChatResult, LLMClient, chat_many_sync, chat_sync
from xcoder.llm.config import LLMConfig, LLMConfigError, LLMError, LLMHTTPError, LLMRetriesExhausted, LLMUnavailable
from xcoder.llm.json_extract import JSONExtractionError, extract_json
from xcoder.llm.stats import LLMStats, ModelStats

__all__ = [
    "ChatRequest",
    "ChatResult",
    "JSONExtractionError",
    "LLMClient",
    "LLMConfig",
    "LLMConfigError",
    "LLMError",
    "LLMHTTPError",
    "LLMRetriesExhausted",
    "LLMStats",
    "LLMUnavailable",
    "ModelStats",
    "ResponseCache",
    "cache_key",
    "chat_many_sync",
    "chat_sync",
    "extract_json",
]
