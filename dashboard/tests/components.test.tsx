import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { ConfirmButton } from '@/components/ConfirmButton';
import { LineChart } from '@/components/LineChart';
import { MemoryPanel } from '@/components/MemoryPanel';
import type { components } from '@/lib/api-types';

type Item = components['schemas']['MemoryItemPublic'];
const item = (over: Partial<Item>): Item => ({
  id: Math.random().toString(36).slice(2),
  tier: 'short',
  kind: 'turn',
  text: 't',
  created_at: '2026-11-25T00:00:00Z',
  sources: [],
  ...over,
});

afterEach(cleanup);

describe('MemoryPanel', () => {
  it('asks for a message before the first answer', () => {
    render(<MemoryPanel recalled={null} />);
    expect(screen.getByText(/Send a message/)).toBeTruthy();
  });

  it('groups recalled items by how the prompt uses them, with scores', () => {
    render(
      <MemoryPanel
        recalled={[
          item({ text: 'I like tea' }),
          item({ tier: 'mid', kind: 'summary', text: 'They talked about tea' }),
          item({ tier: 'long', kind: 'fact', text: 'Name is Ada' }),
          item({ tier: 'long', kind: 'summary', text: 'An older chat', score: 0.8123 }),
        ]}
      />,
    );
    const group = (name: string) => within(screen.getByTestId(`group-${name}`));
    expect(group('Short-term turns').getByText('I like tea')).toBeTruthy();
    expect(group('Summary').getByText(/They talked about tea/)).toBeTruthy();
    expect(group('Facts').getByText(/Name is Ada/)).toBeTruthy();
    expect(group('Related long-term').getByText('0.812')).toBeTruthy();
    expect(screen.getByText('(4)')).toBeTruthy();
  });
});

describe('ConfirmButton', () => {
  it('submits only after the second click', () => {
    let submitted = 0;
    render(
      <form
        onSubmit={(e) => {
          e.preventDefault();
          submitted++;
        }}
      >
        <ConfirmButton label="Delete session" confirm="Sure?" />
      </form>,
    );
    fireEvent.click(screen.getByText('Delete session'));
    expect(submitted).toBe(0);
    fireEvent.click(screen.getByText('Cancel'));
    expect(screen.queryByText('Sure?')).toBeNull();
    fireEvent.click(screen.getByText('Delete session'));
    fireEvent.click(screen.getByText('Yes, delete session'));
    expect(submitted).toBe(1);
  });
});

describe('LineChart', () => {
  it('draws one dot per point, labelled, and the last value in the caption', () => {
    const { container } = render(
      <LineChart
        title="p50"
        unit=" ms"
        points={[
          { x: 1, y: 10, label: 'abc123 on vm' },
          { x: 2, y: 12.5, label: 'def456 on vm' },
        ]}
      />,
    );
    expect(container.querySelectorAll('circle')).toHaveLength(2);
    expect(container.querySelector('circle title')?.textContent).toBe('abc123 on vm: 10.0 ms');
    expect(container.querySelector('figcaption')?.textContent).toBe('p50 12.5 ms');
  });

  it('says when there is nothing to draw', () => {
    render(<LineChart title="empty" points={[]} />);
    expect(screen.getByText('no data yet')).toBeTruthy();
  });
});
