/**
 * The change report as text (a terminal), JSON (tools) or Markdown (a pull-request comment).
 */
import type { Change, ChangeReport, Impact, Party } from './index.js';

export type ReportFormat = 'text' | 'json' | 'markdown';

const PARTIES: readonly Party[] = ['provider', 'consumer'];
const IMPACT_ORDER: readonly Impact[] = ['breaking', 'non-breaking', 'info'];

const count = (report: ChangeReport, party: Party) => IMPACT_ORDER.map((i) => `${report.summary[party][i]} ${i}`).join(', ');
const place = (c: Change) => (c.at ? `${c.at.file}${c.at.line ? `:${c.at.line}` : ''}` : '');
const version = (v: string) => (v ? ` (${v})` : '');
const users = (c: Change) => (c.usedBy?.length ? ` [used by ${c.usedBy.slice(0, 3).join(', ')}${c.usedBy.length > 3 ? ` and ${c.usedBy.length - 3} more` : ''}]` : '');

/** Consecutive changes of one subject, as the report lists them. */
function groups(changes: Change[]): { subject: string; at: string; changes: Change[] }[] {
  const out: { subject: string; at: string; changes: Change[] }[] = [];
  for (const c of changes) {
    const last = out[out.length - 1];
    if (last && last.subject === c.subject) last.changes.push(c);
    else out.push({ subject: c.subject, at: place(c), changes: [c] });
  }
  return out;
}

export function formatReport(report: ChangeReport, format: ReportFormat): string {
  if (format === 'json') return JSON.stringify(report, null, 2) + '\n';
  return format === 'markdown' ? markdown(report) : text(report);
}

function text(report: ChangeReport): string {
  const lines = [`${report.old.file}${version(report.old.version)} → ${report.new.file}${version(report.new.version)}`];
  if (report.changes.length === 0) return [...lines, 'no changes to the agreement', ...report.warnings.map((w) => `warning: ${w}`)].join('\n') + '\n';
  for (const party of PARTIES) lines.push(`${party}: ${count(report, party)}`);
  const cell = (i: Impact) => (i === 'breaking' ? 'BREAKING' : i).padEnd(14);
  for (const g of groups(report.changes)) {
    lines.push('', `${g.subject}${g.at ? `  ${g.at}` : ''}`);
    for (const c of g.changes) lines.push(`  provider ${cell(c.provider)} consumer ${cell(c.consumer)} ${c.where ? `${c.where}: ` : ''}${c.message}${users(c)}`);
  }
  if (report.warnings.length) lines.push('', ...report.warnings.map((w) => `warning: ${w}`));
  return lines.join('\n') + '\n';
}

function markdown(report: ChangeReport): string {
  const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/\n/g, ' ');
  const code = (s: string) => '`' + s.replace(/`/g, "'") + '`';
  const cell = (i: Impact) => (i === 'breaking' ? '**breaking**' : i);
  const lines = [`### Agreement changes: ${code(report.old.file)}${version(report.old.version)} → ${code(report.new.file)}${version(report.new.version)}`, ''];
  for (const w of report.warnings) lines.push(`> **Warning:** ${esc(w)}`, '');
  if (report.changes.length === 0) return [...lines, 'No changes to the agreement.'].join('\n') + '\n';
  lines.push('| | provider | consumer |', '|---|---|---|');
  for (const i of IMPACT_ORDER) lines.push(`| ${i} | ${report.summary.provider[i]} | ${report.summary.consumer[i]} |`);
  lines.push('', '| where | change | provider | consumer |', '|---|---|---|---|');
  for (const c of report.changes) {
    const where = [c.subject, c.where]
      .filter(Boolean)
      .map((s) => code(esc(s!)))
      .join(' ');
    lines.push(`| ${where}${c.at ? ` (${esc(place(c))})` : ''} | ${esc(c.message + users(c))} | ${cell(c.provider)} | ${cell(c.consumer)} |`);
  }
  return lines.join('\n') + '\n';
}
