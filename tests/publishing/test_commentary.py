"""Local commentary: the partnership's Markdown placed on its pages, escaped and labelled."""

from cdp_analysis.publishing import commentary

PAGE = ('<html><body><main id="main"><h1>Supply</h1><p>Intro.</p>'
        '<h2 id="key-messages">Key messages</h2><p>Generated words.</p>'
        '<h2 id="drug-offences-over-time">Drug offences over time</h2><p>Rate 3.5.</p></main></body></html>')


def _write(root, relative, text):
    path = root / "commentary" / "Z09000001" / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_chapter_and_section_commentary_placed_escaped_labelled_and_idempotent(tmp_path):
    _write(tmp_path, "01_supply.md", "The board agreed a county lines plan.\n\n- outreach\n- <script>x</script>")
    _write(tmp_path, "01_supply/drug-offences-over-time.md", "The 2024 peak was *Operation Elm*.")
    _write(tmp_path, "02_treatment_recovery.md", "Not for this page.")
    found = commentary.find(tmp_path, "Z09000001", "01_supply")
    assert set(found) == {"", "drug-offences-over-time"}
    page = commentary.place(PAGE, found)
    assert "<script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
    assert page.count("Local commentary</strong> written by the partnership, not generated from the data") == 2
    # the chapter's box before the first section heading, the section's right under its heading
    assert page.index("county lines plan") < page.index('id="key-messages"')
    heading = page.index('id="drug-offences-over-time"')
    assert heading < page.index("Operation Elm") < page.index("Rate 3.5.")
    assert "<li>outreach</li>" in page and "Not for this page" not in page
    assert commentary.place(page, found) == page  # publishing again changes nothing
    assert commentary.place(page, {}) == PAGE  # a deleted file's box goes


def test_a_file_naming_no_section_is_shown_at_the_top_with_its_name(tmp_path, caplog):
    _write(tmp_path, "01_supply/no-such-section.md", "Words.")
    page = commentary.place(PAGE, commentary.find(tmp_path, "Z09000001", "01_supply"))
    assert 'aria-label="Local commentary: no-such-section"' in page
    assert page.index("Words.") < page.index('id="key-messages"')
    assert "no-such-section.md names no section" in caplog.text
