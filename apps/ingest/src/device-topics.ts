import { TopicParseResult, parseDeviceTopic } from '@app/telemetry';

/** Valid topics kept; a tracker publishes on a few topics all its life, so this holds some 30,000 trackers. */
const KEPT = 100_000;

/**
 * Where ingest parses a message's topic (IMEI and channel), once, as the message comes in. A parse costs about a
 * microsecond (a split and the IMEI's Luhn check), some 1% of a fix's processing, so the valid topics seen are
 * kept, up to a bound (then forgotten all at once); refused topics are parsed each time they come.
 */
export class DeviceTopics {
  private readonly parsed = new Map<string, TopicParseResult>();

  constructor(private readonly kept = KEPT) {}

  parse(topic: string): TopicParseResult {
    const known = this.parsed.get(topic);
    if (known) return known;
    const parsed = parseDeviceTopic(topic);
    if (!parsed.ok) return parsed;
    if (this.parsed.size >= this.kept) this.parsed.clear();
    this.parsed.set(topic, parsed);
    return parsed;
  }
}
