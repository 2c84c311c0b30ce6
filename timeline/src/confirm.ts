// The confirmation before a delete: the page's own modal <dialog> (focus moves into it and comes
// back, Escape cancels), which a test can drive like any other part of the page.

const dialog = document.getElementById("confirm") as HTMLDialogElement;
const title = document.getElementById("confirm-title")!;
const detail = document.getElementById("confirm-detail")!;
const accept = document.getElementById("confirm-accept") as HTMLButtonElement;
const cancel = document.getElementById("confirm-cancel") as HTMLButtonElement;

/** Asks the question; resolves true only when the user chooses the destructive button. */
export function confirmDelete(question: string, consequence: string, action: string): Promise<boolean> {
  title.textContent = question;
  detail.textContent = consequence;
  accept.textContent = action;
  return new Promise((resolve) => {
    const finish = (answer: boolean) => {
      accept.removeEventListener("click", onAccept);
      cancel.removeEventListener("click", onCancel);
      dialog.removeEventListener("close", onClose);
      if (dialog.open) dialog.close();
      resolve(answer);
    };
    const onAccept = () => finish(true);
    const onCancel = () => finish(false);
    const onClose = () => finish(false);
    accept.addEventListener("click", onAccept);
    cancel.addEventListener("click", onCancel);
    dialog.addEventListener("close", onClose);
    dialog.showModal();
    // Cancel first: Enter on an unread question must not delete.
    cancel.focus();
  });
}
