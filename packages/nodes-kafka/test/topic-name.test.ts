import { describe, expect, it } from 'vitest';
import { isTopicName } from '../src/core/topic-name.js';

describe('isTopicName', () => {
  it("takes Kafka's names: 1 to 249 letters, digits, '.', '_' and '-'", () => {
    for (const name of ['plantwire-points', 'line_1.points', 'A', '...', 'x'.repeat(249)])
      expect(isTopicName(name)).toBe(true);
  });

  it('refuses what a broker refuses: other characters, empty, longer than 249, "." and ".."', () => {
    for (const name of ['plant points', 'a/b', 'zähler', '', 'x'.repeat(250), '.', '..'])
      expect(isTopicName(name)).toBe(false);
  });
});
