import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import ReadReceipt from './ReadReceipt.svelte';

describe('ReadReceipt', () => {
  it('shows the label, Go\'s hover text, and who has and has not seen it on click', async () => {
    // A wording the UI could not make itself: the hover is shown as Go sends it.
    const hover = 'Read by Daniel Park, Emily Chen\nWaiting for Sofia Rossi';
    render(ReadReceipt, {
      receipt: { seq: 4, label: 'Seen by 2 of 3', seen: ['Daniel Park', 'Emily Chen'], not_seen: ['Sofia Rossi'], hover },
    });
    const button = screen.getByRole('button', { name: 'Seen by 2 of 3' });
    expect(button.getAttribute('title')).toBe(hover);
    expect(screen.queryByTestId('receipt-details')).toBeNull();
    await fireEvent.click(button);
    expect(screen.getByTestId('receipt-seen').textContent).toBe('Daniel Park, Emily Chen');
    expect(screen.getByTestId('receipt-not-seen').textContent).toBe('Sofia Rossi');
    await fireEvent.keyDown(button, { key: 'Escape' });
    expect(screen.queryByTestId('receipt-details')).toBeNull();
  });

  it('one-to-one: "Seen", with no "Not yet" line', async () => {
    render(ReadReceipt, { receipt: { seq: 3, label: 'Seen', seen: ['James Okafor'], not_seen: [], hover: 'Seen: James Okafor' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Seen' }));
    expect(screen.getByTestId('receipt-seen').textContent).toBe('James Okafor');
    expect(screen.queryByTestId('receipt-not-seen')).toBeNull();
  });

  it('renders tenants\u2019 names as text, never as HTML', async () => {
    const hostile = '<img src=x onerror="window.pwned=1">';
    const { container } = render(ReadReceipt, { receipt: { seq: 1, label: 'Seen', seen: [hostile], not_seen: [], hover: `Seen: ${hostile}` } });
    await fireEvent.click(screen.getByRole('button'));
    expect(container.querySelector('img')).toBeNull();
    expect(screen.getByTestId('receipt-seen').textContent).toBe(hostile);
  });
});
