import { useEffect, type ReactNode } from 'react';

export function Modal(props: { title: string; onClose: () => void; children: ReactNode; footer: ReactNode; testId?: string }) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => { if (e.key === 'Escape') props.onClose(); };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [props.onClose]);
  return (
    <div className="modal-backdrop" onMouseDown={(e) => { if (e.target === e.currentTarget) props.onClose(); }}>
      <div className="modal" role="dialog" aria-modal="true" aria-label={props.title} data-testid={props.testId}>
        <header className="modal-title">{props.title}</header>
        <div className="modal-body">{props.children}</div>
        <footer className="modal-footer">{props.footer}</footer>
      </div>
    </div>
  );
}

export interface ConfirmRequest {
  title: string;
  message: string;
  confirm: string;
  alternative?: string;
  resolve(answer: 'confirm' | 'alternative' | 'cancel'): void;
}

export function ConfirmDialog({ request }: { request: ConfirmRequest }) {
  return (
    <Modal
      title={request.title}
      onClose={() => request.resolve('cancel')}
      testId="confirm-dialog"
      footer={
        <>
          <button onClick={() => request.resolve('cancel')}>Cancel</button>
          {request.alternative && <button onClick={() => request.resolve('alternative')}>{request.alternative}</button>}
          <button className="primary" autoFocus onClick={() => request.resolve('confirm')}>{request.confirm}</button>
        </>
      }
    >
      <p>{request.message}</p>
    </Modal>
  );
}
