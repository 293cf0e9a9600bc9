const { chromium } = require('playwright-core');
const fs = require('fs');
// Usage: node axe.js <page.html>... ; exits 1 when any page has a WCAG 2.2 AA violation.
let failed = false;
(async () => {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  const axe = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  for (const url of process.argv.slice(2)) {
    const page = await browser.newPage();
    await page.goto('file://' + url);
    await page.addScriptTag({ content: axe });
    const result = await page.evaluate(async () => await axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] }));
    console.log(url.split('/').slice(-2).join('/'), 'violations:', result.violations.length);
    if (result.violations.length) failed = true;
    for (const v of result.violations) console.log('  ', v.id, v.impact, v.nodes.length, v.help, '|', v.nodes[0].html.slice(0, 150));
    await page.close();
  }
  await browser.close();
  process.exit(failed ? 1 : 0);
})();
