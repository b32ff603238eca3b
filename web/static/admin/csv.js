// csv.js: the bulk-add file as `pillarbox user bulk-add` reads it — lines user,password;
// blank lines and lines starting with # skipped, and a first row that is a spreadsheet's
// header (user/username/login, password/passwd/pass); fields quoted as in RFC 4180.

// One line's fields (quoted fields keep their text; unquoted ones are trimmed).
function fields(line) {
  const out = [];
  let i = 0;
  while (i <= line.length) {
    let f = '';
    if (line[i] === '"') {
      i++;
      while (i < line.length && !(line[i] === '"' && line[i + 1] !== '"')) {
        f += line[i];
        i += line[i] === '"' ? 2 : 1;
      }
      i++;
      while (i < line.length && line[i] !== ',') i++;
    } else {
      const comma = line.indexOf(',', i);
      const end = comma < 0 ? line.length : comma;
      f = line.slice(i, end).trim();
      i = end;
    }
    out.push(f);
    i++;
  }
  return out;
}

const HEADER_USER = ['user', 'username', 'login'];
const HEADER_PASS = ['password', 'passwd', 'pass'];

// [{line, user, password, problem}] — problem: why a row cannot be sent ('' none).
export function parseCsv(text) {
  const rows = [];
  const seen = new Set();
  text.split(/\r?\n/).forEach((raw, n) => {
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) return;
    const f = fields(raw);
    if (rows.length === 0 && HEADER_USER.includes(f[0].toLowerCase()) &&
        HEADER_PASS.includes((f[1] || '').toLowerCase())) return;
    const row = { line: n + 1, user: f[0], password: f[1] || '', problem: '' };
    if (f.length !== 2) row.problem = 'expected two fields: user,password';
    else if (row.user === '') row.problem = 'no user name';
    else if (seen.has(row.user.toLowerCase())) row.problem = 'repeats an earlier line';
    seen.add(row.user.toLowerCase());
    rows.push(row);
  });
  return rows;
}
