/**
 * The text the tagger matches rules against: URLs and bare domains (project pages, GitHub links) would otherwise
 * match rules (`github.com/org/code-llm`); LaTeX math delimiters and common markup are dropped (`\textbf{L}arge`
 * -> `Large`); whitespace, including the line wraps of arXiv abstracts, is collapsed so that patterns with a space
 * match across them. The hints only skip the replacements when they have nothing to do.
 */

const URL = /\b(?:https?:\/\/|www\.)\S+|\b[\w.-]+\.(?:com|org|io|ai|net|edu|dev|co)\b(?:\/\S*)?/gi;
const URL_HINT = /:\/\/|www\.|\.(?:com|org|io|ai|net|edu|dev|co)\b/i;
const LATEX = /\\(?:text|mathrm|mathbf|mathcal|mathit|emph|textbf|textit|texttt)\{|[$\\{}]/g;
const LATEX_HINT = /[$\\{}]/;
const SPACE = /\s+/g;
const SPACE_HINT = /[^\S ]| {2}|^ | $/;

export function cleanText(text: string | null | undefined): string {
  if (!text) return '';
  let out = URL_HINT.test(text) ? text.replace(URL, ' ') : text;
  if (LATEX_HINT.test(out)) out = out.replace(LATEX, '');
  if (SPACE_HINT.test(out)) out = out.replace(SPACE, ' ').trim();
  return out;
}
