"""AI review of a pull request: the diff and docs/ARCHITECTURE.md go to an LLM through Portkey; out comes a checklist.

    git diff origin/main...HEAD > pr.diff
    python tools/ai_review.py --diff pr.diff --out review.md

Environment: PORTKEY_API_KEY (without it the review is skipped: exit 0, nothing written), PORTKEY_CONFIG (a
Portkey config id or JSON) and/or PORTKEY_VIRTUAL_KEY (which provider key Portkey uses), AI_REVIEW_MODEL, and
PORTKEY_BASE_URL (a self-hosted gateway; Portkey's cloud by default). The prompt is the versioned file
.github/prompts/ai_review.md. The request goes through the project's own LLM layer (`agent_lib.llm.portkey`).
"""

import argparse
import asyncio
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROMPT = ROOT / ".github/prompts/ai_review.md"
ARCHITECTURE = ROOT / "docs/ARCHITECTURE.md"
MAX_DIFF_CHARS = 120_000  # keeps one request well inside a 128k-token context with the architecture doc
MARKER = "<!-- ai-review -->"  # first line of the comment, so a reader (or a later job) can find it


@dataclass(frozen=True)
class Settings:
    api_key: str
    config: str | None
    virtual_key: str | None
    model: str
    base_url: str | None

    @classmethod
    def from_env(cls) -> "Settings | None":
        """The Portkey settings, or None when no API key is configured."""
        key = os.environ.get("PORTKEY_API_KEY", "").strip()
        if not key:
            return None
        return cls(
            api_key=key,
            config=os.environ.get("PORTKEY_CONFIG") or None,
            virtual_key=os.environ.get("PORTKEY_VIRTUAL_KEY") or None,
            model=os.environ.get("AI_REVIEW_MODEL") or "gpt-4o-mini",
            base_url=os.environ.get("PORTKEY_BASE_URL") or None,
        )


def prompt_version(prompt: str) -> str:
    """The `version: N` declared in the prompt file's first line."""
    m = re.search(r"version:\s*(\d+(?:\.\d+)*)", prompt.splitlines()[0] if prompt else "")
    return m[1] if m else "unversioned"


def build_messages(prompt: str, architecture: str, diff: str, max_diff_chars: int = MAX_DIFF_CHARS) -> list[dict]:
    """System prompt + one user message holding the architecture and the (possibly truncated) diff."""
    if len(diff) > max_diff_chars:
        diff = diff[:max_diff_chars] + f"\n... [diff truncated: {len(diff) - max_diff_chars} more characters]\n"
    user = f"## docs/ARCHITECTURE.md\n\n{architecture}\n\n## Pull request diff\n\n```diff\n{diff}\n```\n"
    return [{"role": "system", "content": prompt}, {"role": "user", "content": user}]


async def review(settings: Settings, messages: list[dict], prompt_ver: str) -> str:
    """Ask the project's Portkey provider (agent_lib.llm.portkey) for the checklist and return its text."""
    import portkey_ai  # imported here: a skipped review (no key) needs no SDK

    from agent_lib.llm.portkey import PortkeyLLM, close_portkey

    client = portkey_ai.AsyncPortkey(
        api_key=settings.api_key,
        base_url=settings.base_url,
        config=settings.config,
        virtual_key=settings.virtual_key,
        metadata={"_user": "github-actions", "prompt": "ai_review", "prompt_version": prompt_ver},
    )
    llm = PortkeyLLM(model=settings.model, timeout=300, client=client)
    try:
        return (await llm.chat(messages, max_tokens=2000, temperature=0.2)).text
    finally:
        await close_portkey(client)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--diff", type=Path, required=True, help="unified diff of the pull request")
    p.add_argument("--out", type=Path, required=True, help="where to write the Markdown comment")
    p.add_argument("--prompt", type=Path, default=PROMPT)
    p.add_argument("--architecture", type=Path, default=ARCHITECTURE)
    args = p.parse_args(argv)

    settings = Settings.from_env()
    if settings is None:
        print("ai_review: PORTKEY_API_KEY is not set; review skipped", file=sys.stderr)
        return 0
    diff = args.diff.read_text()
    if not diff.strip():
        print("ai_review: empty diff; nothing to review", file=sys.stderr)
        return 0
    prompt = args.prompt.read_text()
    version = prompt_version(prompt)
    checklist = asyncio.run(review(settings, build_messages(prompt, args.architecture.read_text(), diff), version))
    footer = f"\n\n<sub>{settings.model} via Portkey, prompt ai_review v{version}: suggestions, not a gate.</sub>\n"
    args.out.write_text(f"{MARKER}\n## AI review\n\n{checklist.strip()}{footer}")
    print(f"ai_review: wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
