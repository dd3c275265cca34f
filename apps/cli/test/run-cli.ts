import path from 'node:path';
import { runProgram, type ProgramResult } from '@kineo/testkit';

export type CliResult = ProgramResult;

const bin = path.join(__dirname, '..', 'bin', 'kineo.js');

/** Runs the built `kineo` exactly as a person would, with the given environment. */
export function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return runProgram(process.execPath, [bin, ...args], env);
}

/** runCli with standard input, for --password-stdin. */
export function runCliWithInput(args: string[], env: Record<string, string>, input: string): Promise<CliResult> {
  return runProgram(process.execPath, [bin, ...args], env, input);
}

/**
 * Runs `kineo <args> | <consumer>` through a real shell pipe, as a person would type it. The code is
 * the CLI's own exit status (not the consumer's); stdout is what the consumer printed.
 */
export function runCliPiped(args: string[], consumer: string, env: Record<string, string>): Promise<CliResult> {
  const script = `"$0" "$@" | ${consumer}; exit "\${PIPESTATUS[0]}"`;
  return runProgram('bash', ['-c', script, process.execPath, bin, ...args], env);
}
