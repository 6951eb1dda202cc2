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
