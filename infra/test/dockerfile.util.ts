/** One instruction of a Dockerfile, continuation lines joined. */
export interface Instruction {
  line: number;
  keyword: string;
  args: string;
}

export interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

export function parseDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const instructions: Instruction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let joined = lines[i]!;
    if (/^\s*(#|$)/.test(joined)) continue;
    while (joined.endsWith('\\') && i + 1 < lines.length) joined = joined.slice(0, -1) + ' ' + lines[++i]!.trim();
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(joined);
    if (!m) throw new Error(`line ${start + 1}: not an instruction: ${joined}`);
    instructions.push({ line: start + 1, keyword: m[1]!.toUpperCase(), args: m[2]!.trim() });
  }
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      if (!m) throw new Error(`line ${ins.line}: cannot read FROM ${ins.args}`);
      const from = m[1]!.replace(/\$\{(\w+)\}/g, (_, name: string) => args[name] ?? `\${${name}}`);
      stages.push({ from, name: m[2], instructions: [] });
    } else if (stages.length === 0 && ins.keyword === 'ARG') {
      const m = /^(\w+)=(\S+)$/.exec(ins.args);
      if (m) args[m[1]!] = m[2]!;
    } else {
      stages[stages.length - 1]?.instructions.push(ins);
    }
  }
  return { args, stages };
}
