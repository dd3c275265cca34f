import { loadSettings } from '@kineo/config';
import { startOtlpReceiver, type OtlpReceiver } from '@kineo/devstack';
import { DomainError } from '@kineo/errors';
import { ATTR, isTracing, startTracing, traceFields, withSpan } from '../src';
import { parseHeaders } from '../src/tracing';

describe('tracing', () => {
  describe('without OTEL_EXPORTER_OTLP_ENDPOINT', () => {
    it('records nothing: spans are plain calls and logs get no trace fields', async () => {
      const tracing = startTracing(loadSettings({}), 'kineo-test');

      const seen = await withSpan('work', { [ATTR.tenant]: 't_1' }, async (span) => ({ span, fields: traceFields() }));

      expect(isTracing()).toBe(false);
      expect(seen).toEqual({ span: undefined, fields: {} });
      await tracing.release();
    });
  });

  describe('with OTEL_EXPORTER_OTLP_ENDPOINT', () => {
    let receiver: OtlpReceiver;

    beforeAll(async () => {
      receiver = await startOtlpReceiver();
    });

    afterAll(async () => {
      await receiver?.stop();
    });

    it('exports nested spans over OTLP/HTTP with their parents, attributes, service and headers', async () => {
      const tracing = startTracing(
        loadSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: `${receiver.endpoint}/`, OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=k1, x-team = ops' }),
        'kineo-test',
      );
      let logged: { trace_id?: string; span_id?: string } = {};
      await withSpan('outer', { [ATTR.tenant]: 't_1' }, async () => {
        await withSpan('inner', { [ATTR.dataVersion]: 3 }, async () => {
          logged = traceFields();
        });
      });
      await expect(
        withSpan('failing', {}, async () => {
          throw new DomainError('MODEL_FAILED', 'model x failed on learner 42');
        }),
      ).rejects.toThrow('model x failed');
      await tracing.flush();

      const outer = receiver.spans.find((s) => s.name === 'outer')!;
      const inner = receiver.spans.find((s) => s.name === 'inner')!;
      const failing = receiver.spans.find((s) => s.name === 'failing')!;
      expect(outer).toMatchObject({ service: 'kineo-test', parentSpanId: '', attributes: { [ATTR.tenant]: 't_1' } });
      expect(inner).toMatchObject({ traceId: outer.traceId, parentSpanId: outer.spanId, attributes: { [ATTR.dataVersion]: 3 } });
      expect(logged).toEqual({ trace_id: inner.traceId, span_id: inner.spanId });
      // The failure is marked by its code; its message (which may quote data) stays in the logs.
      expect(failing.status).toEqual({ code: 2, message: 'MODEL_FAILED' });
      expect(JSON.stringify(failing)).not.toContain('learner 42');
      expect(receiver.exports[0]).toMatchObject({ 'x-api-key': 'k1', 'x-team': 'ops' });

      await tracing.release();
      expect(isTracing()).toBe(false);
    });
  });

  it('reads OTEL_EXPORTER_OTLP_HEADERS as comma-separated key=value pairs, values percent-decoded', () => {
    expect(parseHeaders('authorization=Bearer%20abc,x-a = 1')).toEqual({ authorization: 'Bearer abc', 'x-a': '1' });
    expect(parseHeaders(undefined)).toEqual({});
  });

  it('refuses an endpoint that is not an http(s) URL, naming the variable', () => {
    expect(() => loadSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
    expect(() => loadSettings({ OTEL_EXPORTER_OTLP_HEADERS: 'no-equals-sign' })).toThrow(/OTEL_EXPORTER_OTLP_HEADERS/);
  });
});
