import { HandleCache } from '../src';

describe('closing a handle while its key is asked for again', () => {
  it('opens the new handle only once the old one has closed, so two never share its files', async () => {
    const events: string[] = [];
    let finishClose!: () => void;
    const cache = new HandleCache<string>({
      max: 10,
      idleMs: 0,
      close: (h) => {
        events.push(`closing ${h}`);
        if (h !== 'h1') return;
        return new Promise<void>((resolve) => (finishClose = () => (events.push(`closed ${h}`), resolve())));
      },
    });
    let opened = 0;
    const open = async () => (events.push(`open ${++opened}`), `h${opened}`);
    await cache.use('t', open, async () => undefined);
    const evicting = cache.evict('t');
    const using = cache.use('t', open, async (h) => void events.push(`use ${h}`));
    const other = cache.use('u', async () => 'u1', async (h) => void events.push(`use ${h}`));
    await other;
    expect(events).toEqual(['open 1', 'closing h1', 'use u1']);
    finishClose();
    await Promise.all([evicting, using]);
    expect(events).toEqual(['open 1', 'closing h1', 'use u1', 'closed h1', 'open 2', 'use h2']);
    await cache.closeAll();
  });
});
