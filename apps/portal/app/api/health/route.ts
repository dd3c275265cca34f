import { connection } from 'next/server';

export async function GET() {
  // Answered live so a health check proves the server is serving, not that a build once ran.
  await connection();
  return Response.json({ status: 'ok', service: 'portal' });
}
