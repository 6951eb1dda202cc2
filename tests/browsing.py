"""Helpers of the browser tests (not a test module): what a person reads on a page."""

from __future__ import annotations


def main_text(page) -> str:
    """The text people read in the page and the sidebar (icon ligatures such as
    "keyboard_arrow_right", drawn as icons, left out)."""
    return page.evaluate(
        """() => ['stMain', 'stSidebar'].map(id => {
            const node = document.querySelector(`[data-testid="${id}"]`);
            if (!node) return '';
            const copy = node.cloneNode(true);
            copy.querySelectorAll('[data-testid="stIconMaterial"]').forEach(n => n.remove());
            document.body.appendChild(copy);
            const text = copy.innerText;
            copy.remove();
            return text;
        }).join('\\n')"""
    )


def watch_internet(page, url: str, found: list) -> None:
    """Collect in ``found`` every request of ``page`` that leaves the app at ``url``."""

    def check(request):
        if not request.url.startswith(url) and not request.url.startswith(("data:", "blob:")):
            found.append(request.url)

    page.on("request", check)
