import { spawn } from 'node:child_process';
import path from 'node:path';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const bin = path.join(__dirname, '..', 'bin', 'kineo.js');

/** Runs the built `kineo` exactly as a person would, with the given environment. */
export function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return collect(process.execPath, [bin, ...args], env);
}

/** runCli with standard input, for --password-stdin. */
export function runCliWithInput(args: string[], env: Record<string, string>, input: string): Promise<CliResult> {
  return collect(process.execPath, [bin, ...args], env, input);
}

/**
 * Runs `kineo <args> | <consumer>` through a real shell pipe, as a person would type it. The code is
 * the CLI's own exit status (not the consumer's); stdout is what the consumer printed.
 */
export function runCliPiped(args: string[], consumer: string, env: Record<string, string>): Promise<CliResult> {
  const script = `"$0" "$@" | ${consumer}; exit "\${PIPESTATUS[0]}"`;
  return collect('bash', ['-c', script, process.execPath, bin, ...args], env);
}

function collect(command: string, args: string[], env: Record<string, string>, input?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    if (input !== undefined) child.stdin!.end(input);
  });
}
