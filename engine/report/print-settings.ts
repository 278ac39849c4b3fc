import type { Paper } from './model.js';

// Kept free of Node-only and Playwright imports: the Electron shell bundles this module.
function escapeText(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * Page setup shared by every printer of the report: Playwright's page.pdf here, Electron's
 * webContents.printToPDF in the app (pageSize, printBackground, displayHeaderFooter,
 * headerTemplate, footerTemplate, preferCSSPageSize, generateDocumentOutline), so both PDFs match.
 * Margins come from the page's CSS @page rule.
 */
export function printSettings(paper: Paper, footerTitle = ''): {
  pageSize: Paper; printBackground: true; displayHeaderFooter: true; headerTemplate: string; footerTemplate: string; preferCSSPageSize: true;
} {
  const title = footerTitle ? `${escapeText(footerTitle)} · ` : '';
  return {
    pageSize: paper,
    printBackground: true,
    displayHeaderFooter: true,
    headerTemplate: '<span></span>',
    footerTemplate: `<div style="font-family: 'DejaVu Sans', Arial, sans-serif; font-size: 7.5pt; color: #555; width: 100%; padding: 0 15mm; display: flex; justify-content: space-between;"><span>${title}Headroom</span><span>page <span class="pageNumber"></span> of <span class="totalPages"></span></span></div>`,
    preferCSSPageSize: true,
  };
}

